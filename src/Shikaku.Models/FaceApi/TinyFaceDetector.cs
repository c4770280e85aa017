using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// face-api.js's Tiny Face Detector: a Tiny-YOLOv2-style network of separable convolutions (leaky ReLU
/// 0.1) ending in a grid of (inputSize / 32)^2 cells x 5 anchors x (x, y, w, h, score); the grid is decoded
/// into boxes by Shikaku.Vision.Detection.TinyYoloDecoder.
/// </summary>
public sealed class TinyFaceDetector : IGraphNetwork
{
    /// <summary>The five anchor boxes (width, height in cells).</summary>
    public static IReadOnlyList<(double X, double Y)> Anchors { get; } =
        [(1.603231, 2.094468), (6.041143, 7.080126), (2.882459, 3.518061), (4.266906, 5.178857), (9.041765, 10.66308)];

    private static readonly float[] MeanRgb = [117.001f, 114.697f, 97.404f];
    private static readonly Activation Leaky = Activation.LeakyRelu(0.1f);

    private readonly FaceGraph _net;

    /// <summary>Builds the network from tiny_face_detector_model-weights_manifest.json's weights.</summary>
    public TinyFaceDetector(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var g = _net = new FaceGraph(w, -1); // any input size
        string t = g.Conv(g.InputName, "conv0", 3, 3, 16, 1, Padding.Valid, Leaky);
        int[] sizes = [16, 32, 64, 128, 256, 512];
        for (int i = 1; i <= 5; i++) t = g.Separable(g.Pool("MaxPool", t, 2, 2, Padding.Same), $"conv{i}", sizes[i - 1], sizes[i], 1, Leaky);
        g.Compile(g.Conv(g.Pool("MaxPool", t, 2, 1, Padding.Same), "conv8", 1, 512, 25, 1, Padding.Valid, Activation.Linear));
    }

    /// <summary>[1, H, W, 3] pixels 0..255 -> the raw grid [1, S, S, 25] for S = inputSize / 32.</summary>
    public Tensor Forward(Tensor image, int inputSize = 416)
    {
        using var x = PrepareInput(image, inputSize);
        return _net.Run(x)[0];
    }

    /// <summary>The network's input for <paramref name="image"/>: padded to a square, resized, normalized.</summary>
    public static Tensor PrepareInput(Tensor image, int inputSize = 416)
    {
        if (inputSize < 32 || inputSize % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The tiny face detector's input size must be a multiple of 32 (e.g. 224, 320, 416, 512, 608).");
        var x = NetInput.ToBatch(image, inputSize, centre: false);
        FaceGraph.Normalize(x, MeanRgb, 255f);
        return x;
    }

    Graph.GraphPlan IGraphNetwork.Plan => _net.Plan;

    Tensor IGraphNetwork.PrepareInput(Tensor image) => PrepareInput(image);

    public void Dispose() => _net.Dispose();
}
