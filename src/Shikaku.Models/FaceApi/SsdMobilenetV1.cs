using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>Raw SSD output: for each of the 5118 prior boxes, a decoded box (ymin, xmin, ymax, xmax; relative to the padded square) and a face score.</summary>
public sealed record SsdOutput(float[] Boxes, float[] Scores)
{
    /// <summary>Number of prior boxes.</summary>
    public int Count => Scores.Length;
}

/// <summary>
/// face-api.js's SSD MobileNet V1 face detector: a MobileNet V1 backbone (depthwise + pointwise
/// convolutions, batch norm folded, ReLU6), six SSD box predictors on 32x32 ... 1x1 feature maps, box
/// decoding against 5118 prior boxes, sigmoid scores. Input 512x512, pixels scaled to -1..1.
/// Non-max suppression and the way back to image coordinates are Shikaku.Vision.Detection.SsdDecoder's.
/// </summary>
public sealed class SsdMobilenetV1 : IDisposable
{
    /// <summary>The side of the square network input.</summary>
    public const int InputSize = 512;
    private const float BatchNormEpsilon = 0.0010000000474974513f;

    private readonly Conv _conv0;
    private readonly (DepthwiseConv Depthwise, Conv Pointwise)[] _pairs = new (DepthwiseConv, Conv)[13];
    private readonly Conv[] _extra = new Conv[8];
    private readonly (Conv Box, Conv Class)[] _predictors = new (Conv, Conv)[6];
    private readonly float[] _priors; // [5118, 4]: ymin, xmin, ymax, xmax

    /// <summary>Builds the network from a weight map (ssd_mobilenetv1_model-weights_manifest.json).</summary>
    public SsdMobilenetV1(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var relu6 = Activation.Relu6;
        _conv0 = new Conv(w.Get("MobilenetV1/Conv2d_0_pointwise/weights", 3, 3, 3, 32).Clone(),
            w.Get("MobilenetV1/Conv2d_0_pointwise/convolution_bn_offset", 32).Clone(), 2, Padding.Same, relu6);
        int[] channels = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
        for (int i = 1; i <= 13; i++)
        {
            int cin = channels[i - 1], cout = channels[i];
            int stride = i is 2 or 4 or 6 or 12 ? 2 : 1;
            string dw = $"MobilenetV1/Conv2d_{i}_depthwise";
            var (kernel, bias) = FoldBatchNorm(
                w.Get($"{dw}/depthwise_weights", 3, 3, cin, 1), w.Get($"{dw}/BatchNorm/gamma", cin), w.Get($"{dw}/BatchNorm/beta", cin),
                w.Get($"{dw}/BatchNorm/moving_mean", cin), w.Get($"{dw}/BatchNorm/moving_variance", cin));
            var depthwise = new DepthwiseConv(kernel, bias, stride, relu6);
            var pointwise = new Conv(w.Get($"MobilenetV1/Conv2d_{i}_pointwise/weights", 1, 1, cin, cout).Clone(),
                w.Get($"MobilenetV1/Conv2d_{i}_pointwise/convolution_bn_offset", cout).Clone(), 1, Padding.Same, relu6);
            _pairs[i - 1] = (depthwise, pointwise);
        }
        int[] extraIn = [1024, 256, 512, 128, 256, 128, 256, 64];
        int[] extraOut = [256, 512, 128, 256, 128, 256, 64, 128];
        for (int i = 0; i < 8; i++)
        {
            int k = i % 2 == 0 ? 1 : 3;
            _extra[i] = new Conv(w.Get($"Prediction/Conv2d_{i}_pointwise/weights", k, k, extraIn[i], extraOut[i]).Clone(),
                w.Get($"Prediction/Conv2d_{i}_pointwise/convolution_bn_offset", extraOut[i]).Clone(), i % 2 == 0 ? 1 : 2, Padding.Same, relu6);
        }
        int[] predictorIn = [512, 1024, 512, 256, 256, 128];
        for (int i = 0; i < 6; i++)
        {
            int anchors = i == 0 ? 3 : 6;
            string p = $"Prediction/BoxPredictor_{i}";
            _predictors[i] = (
                new Conv(w.Get($"{p}/BoxEncodingPredictor/weights", 1, 1, predictorIn[i], anchors * 4).Clone(),
                    w.Get($"{p}/BoxEncodingPredictor/biases", anchors * 4).Clone(), 1, Padding.Same, Activation.Linear),
                new Conv(w.Get($"{p}/ClassPredictor/weights", 1, 1, predictorIn[i], anchors * 3).Clone(),
                    w.Get($"{p}/ClassPredictor/biases", anchors * 3).Clone(), 1, Padding.Same, Activation.Linear));
        }
        _priors = w.Get("Output/extra_dim", 1, 5118, 4).ToArray();
    }

    /// <summary>
    /// Runs the network on one image [1, H, W, 3] (pixels 0..255, any size): the image is padded at
    /// the bottom/right to a square and resized to 512x512 first.
    /// </summary>
    public SsdOutput Forward(Tensor image)
    {
        using var x = NetInput.ToBatch(image, InputSize, centre: false);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) s[i] = s[i] / 127.5f - 1f;
        var maps = new Tensor[6];
        try
        {
            Tensor t = _conv0.Apply(x);
            for (int i = 0; i < 13; i++)
            {
                using (var prev = t)
                using (var dw = _pairs[i].Depthwise.Apply(prev))
                    t = _pairs[i].Pointwise.Apply(dw);
                if (i == 10) maps[0] = t.Reshape(t.Shape.ToArray()); // conv11 (a second reference)
            }
            maps[1] = t;
            Tensor e = t;
            var chain = new Tensor[8];
            for (int i = 0; i < 8; i++)
            {
                e = _extra[i].Apply(e);
                chain[i] = e;
            }
            maps[2] = chain[1];
            maps[3] = chain[3];
            maps[4] = chain[5];
            maps[5] = chain[7];
            foreach (int i in new[] { 0, 2, 4, 6 }) chain[i].Dispose();
            return Decode(maps);
        }
        finally
        {
            foreach (var m in maps) m?.Dispose();
        }
    }

    private SsdOutput Decode(Tensor[] maps)
    {
        var encodings = new float[5118 * 4];
        var logits = new float[5118 * 3];
        int boxOffset = 0, classOffset = 0;
        for (int i = 0; i < 6; i++)
        {
            using var box = _predictors[i].Box.Apply(maps[i]);
            using var cls = _predictors[i].Class.Apply(maps[i]);
            box.Span.CopyTo(encodings.AsSpan(boxOffset));
            cls.Span.CopyTo(logits.AsSpan(classOffset));
            boxOffset += box.Length;
            classOffset += cls.Length;
        }
        if (boxOffset != encodings.Length || classOffset != logits.Length)
            throw new InvalidOperationException($"SSD produced {boxOffset / 4} box encodings, expected 5118.");
        var boxes = new float[5118 * 4];
        var scores = new float[5118];
        for (int i = 0; i < 5118; i++)
        {
            // outputLayer.ts: anchors give size and centre; encodings are scaled by 10 (centre) and 5 (size).
            ReadOnlySpan<float> a = _priors.AsSpan(i * 4, 4), p = encodings.AsSpan(i * 4, 4);
            float s0 = a[2] - a[0], s1 = a[3] - a[1];
            float c0 = a[0] + s0 / 2f, c1 = a[1] + s1 / 2f;
            float half0 = MathF.Exp(p[2] / 5f) * s0 / 2f;
            float mid0 = p[0] / 10f * s0 + c0;
            float half1 = MathF.Exp(p[3] / 5f) * s1 / 2f;
            float mid1 = p[1] / 10f * s1 + c1;
            boxes[i * 4] = mid0 - half0;
            boxes[i * 4 + 1] = mid1 - half1;
            boxes[i * 4 + 2] = mid0 + half0;
            boxes[i * 4 + 3] = mid1 + half1;
            scores[i] = 1f / (1f + MathF.Exp(-logits[i * 3 + 1]));
        }
        return new SsdOutput(boxes, scores);
    }

    private static (Tensor Kernel, Tensor Bias) FoldBatchNorm(Tensor kernel, Tensor gamma, Tensor beta, Tensor mean, Tensor variance)
    {
        // tf.batchNorm: (x - mean) * gamma / sqrt(var + eps) + beta, folded into the depthwise kernel and a bias.
        int c = gamma.Length;
        var k = kernel.Clone();
        var b = Tensor.Uninitialized(new Shape(c));
        var ks = k.Span;
        for (int ch = 0; ch < c; ch++)
        {
            float inv = gamma.Span[ch] / MathF.Sqrt(variance.Span[ch] + BatchNormEpsilon);
            for (int tap = 0; tap < 9; tap++) ks[tap * c + ch] *= inv;
            b.Span[ch] = beta.Span[ch] - mean.Span[ch] * inv;
        }
        return (k, b);
    }

    public void Dispose()
    {
        _conv0.Dispose();
        foreach (var (d, p) in _pairs) { d.Dispose(); p.Dispose(); }
        foreach (var e in _extra) e.Dispose();
        foreach (var (b, c) in _predictors) { b.Dispose(); c.Dispose(); }
    }
}
