using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// face-api.js's Tiny Face Detector: a Tiny-YOLOv2-style network of separable convolutions (leaky ReLU
/// 0.1) ending in a grid of (inputSize / 32)^2 cells x 5 anchors x (x, y, w, h, score); the grid is decoded
/// into boxes by Shikaku.Vision.Detection.TinyYoloDecoder.
/// </summary>
public sealed class TinyFaceDetector : IDisposable
{
    /// <summary>The five anchor boxes (width, height in cells).</summary>
    public static IReadOnlyList<(double X, double Y)> Anchors { get; } =
        [(1.603231, 2.094468), (6.041143, 7.080126), (2.882459, 3.518061), (4.266906, 5.178857), (9.041765, 10.66308)];

    private static readonly float[] MeanRgb = [117.001f, 114.697f, 97.404f];
    private static readonly Activation Leaky = Activation.LeakyRelu(0.1f);

    private readonly Conv _conv0;
    private readonly SeparableConv[] _convs = new SeparableConv[5];
    private readonly Conv _conv8;

    /// <summary>Builds the network from tiny_face_detector_model-weights_manifest.json's weights.</summary>
    public TinyFaceDetector(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        _conv0 = Conv.Load(w, "conv0", 3, 3, 16, 1, Padding.Valid, Leaky);
        int[] sizes = [16, 32, 64, 128, 256, 512];
        for (int i = 1; i <= 5; i++) _convs[i - 1] = new SeparableConv(w, $"conv{i}", sizes[i - 1], sizes[i], 1, Leaky);
        _conv8 = Conv.Load(w, "conv8", 1, 512, 25, 1, Padding.Valid, Activation.Linear);
    }

    /// <summary>[1, H, W, 3] pixels 0..255 -> the raw grid [1, S, S, 25] for S = inputSize / 32.</summary>
    public Tensor Forward(Tensor image, int inputSize = 416)
    {
        if (inputSize < 32 || inputSize % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The tiny face detector's input size must be a multiple of 32 (e.g. 224, 320, 416, 512, 608).");
        using var x = NetInput.ToBatch(image, inputSize, centre: false);
        Ops.Normalize(x, MeanRgb, 255f);
        var pool2 = new PoolOptions(2, 2, Padding.Same);
        var pool1 = new PoolOptions(2, 1, Padding.Same);
        Tensor t = _conv0.Apply(x);
        for (int i = 0; i < 5; i++)
        {
            using (var prev = t) t = Pooling.MaxPool2D(prev, pool2);
            using (var prev = t) t = _convs[i].Apply(prev);
        }
        using (var prev = t) t = Pooling.MaxPool2D(prev, pool1);
        using (var prev = t) return _conv8.Apply(prev);
    }

    public void Dispose()
    {
        _conv0.Dispose();
        foreach (var c in _convs) c.Dispose();
        _conv8.Dispose();
    }
}
