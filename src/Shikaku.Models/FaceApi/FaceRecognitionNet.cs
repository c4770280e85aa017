using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// face-api.js's face recognition net (a ResNet-34-like network ported from dlib): 150x150 face chip in,
/// a 128-d descriptor out; two faces of one person are usually less than 0.6 apart (Euclidean).
/// Each convolution is followed by a per-channel scale layer, folded here into its kernel and bias.
/// </summary>
public sealed class FaceRecognitionNet : IGraphNetwork
{
    /// <summary>The side of the square network input.</summary>
    public const int InputSize = 150;

    private readonly FaceGraph _net;

    /// <summary>Builds the net from face_recognition_model weights.</summary>
    public FaceRecognitionNet(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        _net = new FaceGraph(w, InputSize);
        var g = _net;
        string t = g.Pool("MaxPool", ScaledConv(g, g.InputName, "conv32_down", 7, 3, 32, 2, Padding.Valid, relu: true), 3, 2, Padding.Valid);
        var layout = new (string Name, int Cin, int Cout, bool Down)[]
        {
            ("conv32_1", 32, 32, false), ("conv32_2", 32, 32, false), ("conv32_3", 32, 32, false),
            ("conv64_down", 32, 64, true), ("conv64_1", 64, 64, false), ("conv64_2", 64, 64, false), ("conv64_3", 64, 64, false),
            ("conv128_down", 64, 128, true), ("conv128_1", 128, 128, false), ("conv128_2", 128, 128, false),
            ("conv256_down", 128, 256, true), ("conv256_1", 256, 256, false), ("conv256_2", 256, 256, false),
            ("conv256_down_out", 256, 256, true),
        };
        foreach (var b in layout)
        {
            string a = ScaledConv(g, t, $"{b.Name}/conv1", 3, b.Cin, b.Cout, b.Down ? 2 : 1, b.Down ? Padding.Valid : Padding.Same, relu: true);
            string branch = ScaledConv(g, a, $"{b.Name}/conv2", 3, b.Cout, b.Cout, 1, Padding.Same, relu: false);
            // residual: relu(branch + x); residualDown: relu(branch + x average-pooled 2x2, zero-padded in channels)
            t = g.Relu(b.Down ? g.Node(FaceGraph.ShortcutAddOp, b.Name, [branch, g.Pool("AvgPool", t, 2, 2, Padding.Valid)]) : g.Add(branch, t));
        }
        string mean = g.Node("Mean", "mean", [t], new Graph.Attributes { ["axes"] = Graph.AttrValue.Ints(1, 2) });
        g.Compile(g.Node("MatMul", "fc", [mean, g.Constant("fc", 256, 128)]));
    }

    /// <summary>The network's input for a face crop: padded to a centred square, resized to 150x150, normalized.</summary>
    public static Tensor PrepareInput(Tensor face)
    {
        var x = NetInput.ToBatch(face, InputSize, centre: true);
        FaceGraph.Normalize(x, FaceFeatureExtractor.MeanRgb, 255f);
        return x;
    }

    Graph.GraphPlan IGraphNetwork.Plan => _net.Plan;

    Tensor IGraphNetwork.PrepareInput(Tensor image) => PrepareInput(image);

    /// <summary>A face chip [1, h, w, 3] (pixels 0..255; centred in a square and resized to 150x150) -> 128 numbers.</summary>
    public float[] Forward(Tensor face)
    {
        ArgumentNullException.ThrowIfNull(face);
        using var x = PrepareInput(face);
        using var descriptor = _net.Run(x)[0];
        return descriptor.ToArray();
    }

    // conv + bias, then * scale/weights + scale/biases (face-api's scale layer): the graph passes fold it into the convolution.
    private static string ScaledConv(FaceGraph g, string x, string prefix, int k, int cin, int cout, int stride, Padding padding, bool relu)
    {
        string conv = g.Node("Conv2D", prefix, [x, g.Constant($"{prefix}/conv/filters", k, k, cin, cout)],
            Graph.OpAttributes.Conv(new ConvOptions { Stride = stride, Padding = padding }, bias: false));
        string biased = g.Node("BiasAdd", prefix + "/bias", [conv, g.Constant($"{prefix}/conv/bias", cout)]);
        string scaled = g.Node("Mul", prefix + "/scale", [biased, g.Constant($"{prefix}/scale/weights", cout)]);
        string shifted = g.Node("AddV2", prefix + "/shift", [scaled, g.Constant($"{prefix}/scale/biases", cout)]);
        return relu ? g.Relu(shifted) : shifted;
    }

    public void Dispose() => _net.Dispose();
}
