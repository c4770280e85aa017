using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// face-api.js's face recognition net (a ResNet-34-like network ported from dlib): 150x150 face chip in,
/// a 128-d descriptor out; two faces of one person are usually less than 0.6 apart (Euclidean).
/// Each convolution is followed by a per-channel scale layer, folded here into its kernel and bias.
/// </summary>
public sealed class FaceRecognitionNet : IDisposable
{
    /// <summary>The side of the square network input.</summary>
    public const int InputSize = 150;

    private readonly Conv _down;
    private readonly (string Name, Conv First, Conv Second, bool Down)[] _blocks;
    private readonly Tensor _fc;

    /// <summary>Builds the net from face_recognition_model weights.</summary>
    public FaceRecognitionNet(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        _down = ScaledConv(w, "conv32_down", 7, 3, 32, 2, Padding.Valid, Activation.Relu);
        var layout = new (string Name, int Cin, int Cout, bool Down)[]
        {
            ("conv32_1", 32, 32, false), ("conv32_2", 32, 32, false), ("conv32_3", 32, 32, false),
            ("conv64_down", 32, 64, true), ("conv64_1", 64, 64, false), ("conv64_2", 64, 64, false), ("conv64_3", 64, 64, false),
            ("conv128_down", 64, 128, true), ("conv128_1", 128, 128, false), ("conv128_2", 128, 128, false),
            ("conv256_down", 128, 256, true), ("conv256_1", 256, 256, false), ("conv256_2", 256, 256, false),
            ("conv256_down_out", 256, 256, true),
        };
        _blocks = layout.Select(b => (b.Name,
            ScaledConv(w, $"{b.Name}/conv1", 3, b.Cin, b.Cout, b.Down ? 2 : 1, b.Down ? Padding.Valid : Padding.Same, Activation.Relu),
            ScaledConv(w, $"{b.Name}/conv2", 3, b.Cout, b.Cout, 1, Padding.Same, Activation.Linear),
            b.Down)).ToArray();
        _fc = w.Get("fc", 256, 128).Clone();
    }

    /// <summary>A face chip [1, h, w, 3] (pixels 0..255; centred in a square and resized to 150x150) -> 128 numbers.</summary>
    public float[] Forward(Tensor face)
    {
        ArgumentNullException.ThrowIfNull(face);
        using var x = NetInput.ToBatch(face, InputSize, centre: true);
        Ops.Normalize(x, FaceFeatureExtractor.MeanRgb, 255f);
        Tensor t;
        using (var c = _down.Apply(x)) t = Pooling.MaxPool2D(c, new PoolOptions(3, 2, Padding.Valid));
        foreach (var block in _blocks)
            using (var prev = t) t = block.Down ? ResidualDown(prev, block.First, block.Second) : Residual(prev, block.First, block.Second);
        using (t)
        using (var mean = Pooling.GlobalAvgPool(t))
        {
            var descriptor = new float[128];
            Sgemm.Multiply(false, false, 1, 128, 256, 1f, mean.Span, 256, _fc.Span, 128, 0f, descriptor, 128);
            return descriptor;
        }
    }

    private static Tensor Residual(Tensor x, Conv first, Conv second)
    {
        using var a = first.Apply(x);
        var b = second.Apply(a);
        Ops.AddInPlace(b, x);
        return Ops.ReluInPlace(b);
    }

    // residualDown: the strided branch plus x average-pooled 2x2, zero-padded in channels (and, when the
    // strided convolution came out one row/column short, the branch zero-padded at the bottom/right).
    private static Tensor ResidualDown(Tensor x, Conv first, Conv second)
    {
        using var a = first.Apply(x);
        var b = second.Apply(a);
        using var pooled = Pooling.AvgPool2D(x, new PoolOptions(2, 2, Padding.Valid));
        int ph = pooled.Shape[1], pw = pooled.Shape[2];
        if (b.Shape[1] != ph || b.Shape[2] != pw)
        {
            var padded = Resample.Pad(b, 0, ph - b.Shape[1], 0, pw - b.Shape[2]);
            b.Dispose();
            b = padded;
        }
        int cin = pooled.Shape[3], cout = b.Shape[3];
        var bs = b.Span;
        var ps = pooled.Span;
        for (int p = 0; p < ph * pw; p++)
            TensorPrimitives.Add(bs.Slice(p * cout, cin), ps.Slice(p * cin, cin), bs.Slice(p * cout, cin));
        return Ops.ReluInPlace(b);
    }

    // conv + bias, then * scale/weights + scale/biases (face-api's scale layer), folded.
    private static Conv ScaledConv(WeightMap w, string prefix, int k, int cin, int cout, int stride, Padding padding, Activation activation)
    {
        var kernel = w.Get($"{prefix}/conv/filters", k, k, cin, cout).Clone();
        var bias = w.Get($"{prefix}/conv/bias", cout).Clone();
        var scale = w.Get($"{prefix}/scale/weights", cout).Span;
        var shift = w.Get($"{prefix}/scale/biases", cout).Span;
        var ks = kernel.Span;
        for (int i = 0; i < ks.Length; i++) ks[i] *= scale[i % cout];
        var bsp = bias.Span;
        for (int c = 0; c < cout; c++) bsp[c] = bsp[c] * scale[c] + shift[c];
        return new Conv(kernel, bias, stride, padding, activation);
    }

    public void Dispose()
    {
        _down.Dispose();
        foreach (var b in _blocks) { b.First.Dispose(); b.Second.Dispose(); }
        _fc.Dispose();
    }
}
