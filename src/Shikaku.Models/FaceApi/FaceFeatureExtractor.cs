using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// The densely connected feature extractor that face-api.js's landmark and expression nets share:
/// 4 dense blocks (3 for the tiny variant) of separable convolutions whose outputs are summed, then
/// average pooling to one feature vector. Input: the face crop, centred in a square, 112x112.
/// </summary>
internal static class FaceFeatureExtractor
{
    public const int InputSize = 112;
    public static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    /// <summary>Adds the extractor to <paramref name="g"/> (from its input); returns the [1, features] node and the number of features.</summary>
    public static (string Features, int Count) Build(FaceGraph g, bool tiny)
    {
        int[] channels = tiny ? [3, 32, 64, 128] : [3, 32, 64, 128, 256];
        string t = g.InputName;
        for (int i = 0; i < channels.Length - 1; i++)
            t = DenseBlock(g, t, $"dense{i}", channels[i], channels[i + 1], first: i == 0, convs: tiny ? 3 : 4);
        return (g.Flatten(g.Pool("AvgPool", t, tiny ? 14 : 7, 2, Padding.Valid)), channels[^1]);
    }

    /// <summary>A face crop [1, h, w, 3] (pixels 0..255) -> the normalised, centred 112x112 network input.</summary>
    public static Tensor Prepare(Tensor image)
    {
        var x = NetInput.ToBatch(image, InputSize, centre: true);
        FaceGraph.Normalize(x, MeanRgb, 255f);
        return x;
    }

    /// <summary>denseBlock3/denseBlock4: out_k = conv_k(relu(out_1 + ... + out_(k-1))), output relu(sum of all).</summary>
    private static string DenseBlock(FaceGraph g, string x, string prefix, int cin, int cout, bool first, int convs)
    {
        var outs = new List<string>
        {
            first ? g.Conv(x, $"{prefix}/conv0", 3, cin, cout, 2, Padding.Same, Activation.Relu)
                : g.Separable(x, $"{prefix}/conv0", cin, cout, 2, Activation.Relu),
        };
        for (int i = 1; i < convs; i++)
            outs.Add(g.Separable(g.Relu(SumRight(g, outs)), $"{prefix}/conv{i}", cout, cout, 1, Activation.Linear));
        return g.Relu(SumRight(g, outs));
    }

    // tf.add(out1, tf.add(out2, tf.add(out3, out4))): summed from the right, like face-api.
    private static string SumRight(FaceGraph g, List<string> outs)
    {
        if (outs.Count == 1) return outs[0];
        string sum = g.Add(outs[^2], outs[^1]);
        for (int i = outs.Count - 3; i >= 0; i--) sum = g.Add(outs[i], sum);
        return sum;
    }
}

/// <summary>
/// face-api.js's 68-point landmark net (or its tiny variant): the dense feature extractor and a fully
/// connected layer to 136 numbers, turned into (x, y) relative to the face crop (0..1).
/// </summary>
public sealed class FaceLandmark68Net : IGraphNetwork
{
    private readonly FaceGraph _net;

    /// <summary>Builds the net from face_landmark_68_model (tiny: face_landmark_68_tiny_model) weights.</summary>
    public FaceLandmark68Net(WeightMap w, bool tiny = false)
    {
        ArgumentNullException.ThrowIfNull(w);
        _net = new FaceGraph(w, FaceFeatureExtractor.InputSize);
        var (features, count) = FaceFeatureExtractor.Build(_net, tiny);
        _net.Compile(_net.FullyConnected(features, "fc", count, 136));
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
        using var x = FaceFeatureExtractor.Prepare(face);
        using var output = _net.Run(x)[0];
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

    Graph.GraphPlan IGraphNetwork.Plan => _net.Plan;

    Tensor IGraphNetwork.PrepareInput(Tensor image) => FaceFeatureExtractor.Prepare(image);

    public void Dispose() => _net.Dispose();
}

/// <summary>face-api.js's expression net: the dense feature extractor, a fully connected layer, softmax over 7 classes.</summary>
public sealed class FaceExpressionNet : IGraphNetwork
{
    /// <summary>The classes, in the network's output order.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"];

    private readonly FaceGraph _net;

    /// <summary>Builds the net from face_expression_model weights.</summary>
    public FaceExpressionNet(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        _net = new FaceGraph(w, FaceFeatureExtractor.InputSize);
        var (features, count) = FaceFeatureExtractor.Build(_net, tiny: false);
        _net.Compile(_net.FullyConnected(features, "fc", count, 7));
    }

    /// <summary>A face crop [1, h, w, 3] (pixels 0..255) -> 7 probabilities in <see cref="Labels"/> order.</summary>
    public float[] Forward(Tensor face)
    {
        ArgumentNullException.ThrowIfNull(face);
        using var x = FaceFeatureExtractor.Prepare(face);
        using var logits = _net.Run(x)[0];
        var p = new float[7];
        ElementwiseOps.Softmax(logits.Span, p, 7);
        return p;
    }

    Graph.GraphPlan IGraphNetwork.Plan => _net.Plan;

    Tensor IGraphNetwork.PrepareInput(Tensor image) => FaceFeatureExtractor.Prepare(image);

    public void Dispose() => _net.Dispose();
}
