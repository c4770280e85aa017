using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// The densely connected feature extractor that face-api.js's landmark and expression nets share:
/// 4 dense blocks (3 for the tiny variant) of separable convolutions whose outputs are summed, then
/// average pooling to one feature vector. Input: the face crop, centred in a square, 112x112.
/// </summary>
internal sealed class FaceFeatureExtractor : IDisposable
{
    public const int InputSize = 112;
    public static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    private readonly DenseBlock[] _blocks;
    private readonly int _poolSize;

    public FaceFeatureExtractor(WeightMap w, bool tiny)
    {
        int[] channels = tiny ? [3, 32, 64, 128] : [3, 32, 64, 128, 256];
        _blocks = new DenseBlock[channels.Length - 1];
        for (int i = 0; i < _blocks.Length; i++)
            _blocks[i] = new DenseBlock(w, $"dense{i}", channels[i], channels[i + 1], first: i == 0, convs: tiny ? 3 : 4);
        _poolSize = tiny ? 14 : 7;
        Features = channels[^1];
    }

    /// <summary>Length of the feature vector.</summary>
    public int Features { get; }

    /// <summary>[1, H, W, 3] pixels 0..255 -> [1, Features].</summary>
    public Tensor Forward(Tensor image)
    {
        using var x = NetInput.ToBatch(image, InputSize, centre: true);
        Ops.Normalize(x, MeanRgb, 255f);
        Tensor t = _blocks[0].Apply(x);
        for (int i = 1; i < _blocks.Length; i++)
            using (var prev = t) t = _blocks[i].Apply(prev);
        using (t)
        using (var pooled = Pooling.AvgPool2D(t, new PoolOptions(_poolSize, 2, Padding.Valid)))
            return pooled.Reshape(1, -1);
    }

    public void Dispose()
    {
        foreach (var b in _blocks) b.Dispose();
    }

    /// <summary>denseBlock3/denseBlock4: out_k = conv_k(relu(out_1 + ... + out_(k-1))), output relu(sum of all).</summary>
    private sealed class DenseBlock : IDisposable
    {
        private readonly Conv? _first;
        private readonly SeparableConv? _down;
        private readonly SeparableConv[] _convs;

        public DenseBlock(WeightMap w, string prefix, int cin, int cout, bool first, int convs)
        {
            if (first) _first = Conv.Load(w, $"{prefix}/conv0", 3, cin, cout, 2, Padding.Same, Activation.Relu);
            else _down = new SeparableConv(w, $"{prefix}/conv0", cin, cout, 2, Activation.Relu);
            _convs = new SeparableConv[convs - 1];
            for (int i = 1; i < convs; i++) _convs[i - 1] = new SeparableConv(w, $"{prefix}/conv{i}", cout, cout, 1, Activation.Linear);
        }

        public Tensor Apply(Tensor x)
        {
            var outs = new List<Tensor>();
            try
            {
                outs.Add(_first != null ? _first.Apply(x) : _down!.Apply(x));
                foreach (var conv in _convs)
                {
                    using var sum = SumRight(outs);
                    Ops.ReluInPlace(sum);
                    outs.Add(conv.Apply(sum));
                }
                return Ops.ReluInPlace(SumRight(outs));
            }
            finally
            {
                foreach (var o in outs) o.Dispose();
            }
        }

        // tf.add(out1, tf.add(out2, tf.add(out3, out4))): summed from the right, like face-api.
        private static Tensor SumRight(List<Tensor> outs)
        {
            if (outs.Count == 1) return outs[0].Clone();
            var sum = Ops.Add(outs[^2], outs[^1]);
            for (int i = outs.Count - 3; i >= 0; i--)
            {
                var next = Ops.Add(outs[i], sum);
                sum.Dispose();
                sum = next;
            }
            return sum;
        }

        public void Dispose()
        {
            _first?.Dispose();
            _down?.Dispose();
            foreach (var c in _convs) c.Dispose();
        }
    }
}

/// <summary>
/// face-api.js's 68-point landmark net (or its tiny variant): the dense feature extractor and a fully
/// connected layer to 136 numbers, turned into (x, y) relative to the face crop (0..1).
/// </summary>
public sealed class FaceLandmark68Net : IDisposable
{
    private readonly FaceFeatureExtractor _features;
    private readonly FullyConnected _fc;

    /// <summary>Builds the net from face_landmark_68_model (tiny: face_landmark_68_tiny_model) weights.</summary>
    public FaceLandmark68Net(WeightMap w, bool tiny = false)
    {
        ArgumentNullException.ThrowIfNull(w);
        _features = new FaceFeatureExtractor(w, tiny);
        _fc = FullyConnected.Load(w, "fc", _features.Features, 136);
        IsTiny = tiny;
    }

    /// <summary>Whether this is the tiny variant.</summary>
    public bool IsTiny { get; }

    /// <summary>
    /// A face crop [1, h, w, 3] (pixels 0..255) -> 136 values x0, y0, x1, y1, ... relative to the crop
    /// (face-api's postProcess: undo the centring padding and divide by the scaled size, in float32).
    /// </summary>
    public float[] Forward(Tensor face)
    {
        ArgumentNullException.ThrowIfNull(face);
        using var features = _features.Forward(face);
        using var output = _fc.Apply(features);
        int h = face.Shape[1], w = face.Shape[2];
        const int size = FaceFeatureExtractor.InputSize;
        double scale = (double)size / Math.Max(h, w);
        float width = (float)(w * scale), height = (float)(h * scale);
        float padX = w < h ? (float)(Math.Abs(w * scale - h * scale) / 2) : 0f;
        float padY = h < w ? (float)(Math.Abs(w * scale - h * scale) / 2) : 0f;
        var result = output.ToArray();
        for (int i = 0; i < 68; i++)
        {
            result[2 * i] = (result[2 * i] * size - padX) / width;
            result[2 * i + 1] = (result[2 * i + 1] * size - padY) / height;
        }
        return result;
    }

    public void Dispose()
    {
        _features.Dispose();
        _fc.Dispose();
    }
}

/// <summary>face-api.js's expression net: the dense feature extractor, a fully connected layer, softmax over 7 classes.</summary>
public sealed class FaceExpressionNet : IDisposable
{
    /// <summary>The classes, in the network's output order.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"];

    private readonly FaceFeatureExtractor _features;
    private readonly FullyConnected _fc;

    /// <summary>Builds the net from face_expression_model weights.</summary>
    public FaceExpressionNet(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        _features = new FaceFeatureExtractor(w, tiny: false);
        _fc = FullyConnected.Load(w, "fc", 256, 7);
    }

    /// <summary>A face crop [1, h, w, 3] (pixels 0..255) -> 7 probabilities in <see cref="Labels"/> order.</summary>
    public float[] Forward(Tensor face)
    {
        using var features = _features.Forward(face);
        using var logits = _fc.Apply(features);
        var p = new float[7];
        ElementwiseOps.Softmax(logits.Span, p, 7);
        return p;
    }

    public void Dispose()
    {
        _features.Dispose();
        _fc.Dispose();
    }
}
