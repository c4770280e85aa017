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
public sealed class SsdMobilenetV1 : IGraphNetwork
{
    /// <summary>The side of the square network input.</summary>
    public const int InputSize = 512;
    private const float BatchNormEpsilon = 0.0010000000474974513f;

    private readonly FaceGraph _net;
    private readonly float[] _priors; // [5118, 4]: ymin, xmin, ymax, xmax

    /// <summary>Builds the network from a weight map (ssd_mobilenetv1_model-weights_manifest.json).</summary>
    public SsdMobilenetV1(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var relu6 = Activation.Relu6;
        var g = _net = new FaceGraph(w, InputSize);
        string t = g.Conv(g.InputName, "MobilenetV1/Conv2d_0_pointwise", 3, 3, 32, 2, Padding.Same, relu6, "weights", "convolution_bn_offset");
        int[] channels = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
        var maps = new string[6];
        for (int i = 1; i <= 13; i++)
        {
            int cin = channels[i - 1], cout = channels[i];
            int stride = i is 2 or 4 or 6 or 12 ? 2 : 1;
            string dw = $"MobilenetV1/Conv2d_{i}_depthwise";
            // tf.batchNorm after the depthwise convolution: the graph passes fold it into the kernel and a bias.
            string depthwise = g.Node("DepthwiseConv2dNative", dw, [t, g.Constant($"{dw}/depthwise_weights", 3, 3, cin, 1)],
                Graph.OpAttributes.Conv(new ConvOptions { Stride = stride, Padding = Padding.Same }, bias: false));
            string bn = g.Node("FusedBatchNormV3", $"{dw}/BatchNorm", [depthwise, g.Constant($"{dw}/BatchNorm/gamma", cin), g.Constant($"{dw}/BatchNorm/beta", cin),
                g.Constant($"{dw}/BatchNorm/moving_mean", cin), g.Constant($"{dw}/BatchNorm/moving_variance", cin)], new Graph.Attributes { ["epsilon"] = BatchNormEpsilon });
            t = g.Conv(g.Node("Relu6", dw + "/relu6", [bn]), $"MobilenetV1/Conv2d_{i}_pointwise", 1, cin, cout, 1, Padding.Same, relu6, "weights", "convolution_bn_offset");
            if (i == 11) maps[0] = t;
        }
        maps[1] = t;
        int[] extraIn = [1024, 256, 512, 128, 256, 128, 256, 64];
        int[] extraOut = [256, 512, 128, 256, 128, 256, 64, 128];
        for (int i = 0; i < 8; i++)
        {
            int k = i % 2 == 0 ? 1 : 3;
            t = g.Conv(t, $"Prediction/Conv2d_{i}_pointwise", k, extraIn[i], extraOut[i], i % 2 == 0 ? 1 : 2, Padding.Same, relu6, "weights", "convolution_bn_offset");
            if (i % 2 == 1) maps[2 + i / 2] = t;
        }
        int[] predictorIn = [512, 1024, 512, 256, 256, 128];
        var predictions = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            int anchors = i == 0 ? 3 : 6;
            string p = $"Prediction/BoxPredictor_{i}";
            predictions.Add(g.Conv(maps[i], $"{p}/BoxEncodingPredictor", 1, predictorIn[i], anchors * 4, 1, Padding.Same, Activation.Linear, "weights", "biases"));
            predictions.Add(g.Conv(maps[i], $"{p}/ClassPredictor", 1, predictorIn[i], anchors * 3, 1, Padding.Same, Activation.Linear, "weights", "biases"));
        }
        g.Compile([.. predictions]);
        _priors = w.Get("Output/extra_dim", 1, 5118, 4).ToArray();
    }

    /// <summary>The network's input for <paramref name="image"/>: padded to a square, resized to 512x512, scaled to -1..1.</summary>
    public static Tensor PrepareInput(Tensor image)
    {
        var x = NetInput.ToBatch(image, InputSize, centre: false);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) s[i] = s[i] / 127.5f - 1f;
        return x;
    }

    Graph.GraphPlan IGraphNetwork.Plan => _net.Plan;

    Tensor IGraphNetwork.PrepareInput(Tensor image) => PrepareInput(image);

    /// <summary>
    /// Runs the network on one image [1, H, W, 3] (pixels 0..255, any size): the image is padded at
    /// the bottom/right to a square and resized to 512x512 first.
    /// </summary>
    public SsdOutput Forward(Tensor image)
    {
        using var x = PrepareInput(image);
        var predictions = _net.Run(x);
        try
        {
            return Decode(predictions);
        }
        finally
        {
            foreach (var p in predictions) p.Dispose();
        }
    }

    // predictions: box encodings and class logits of each of the six feature maps, in turn.
    private SsdOutput Decode(Tensor[] predictions)
    {
        var encodings = new float[5118 * 4];
        var logits = new float[5118 * 3];
        int boxOffset = 0, classOffset = 0;
        for (int i = 0; i < 6; i++)
        {
            Tensor box = predictions[2 * i], cls = predictions[2 * i + 1];
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

    public void Dispose() => _net.Dispose();
}
