using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>Age in years and the probabilities of the two gender classes the network was trained on (male, female).</summary>
public sealed record AgeGenderOutput(float Age, float MaleProbability, float FemaleProbability);

/// <summary>
/// face-api.js's age and gender net: a tiny Xception (entry flow, 2 middle blocks, exit flow) on the
/// 112x112 face crop, average-pooled, then a regression head (age) and a 2-class softmax head (gender).
/// </summary>
public sealed class AgeGenderNet : IGraphNetwork
{
    private readonly FaceGraph _net;

    /// <summary>Builds the net from age_gender_model weights.</summary>
    public AgeGenderNet(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var g = _net = new FaceGraph(w, FaceFeatureExtractor.InputSize);
        string t = g.Conv(g.InputName, "entry_flow/conv_in", 3, 3, 32, 2, Padding.Same, Activation.Relu);
        t = ReductionBlock(g, t, "entry_flow/reduction_block_0", 32, 64, activateInput: false);
        t = ReductionBlock(g, t, "entry_flow/reduction_block_1", 64, 128, activateInput: true);
        for (int i = 0; i < 2; i++)
        {
            // relu(sep0) and relu(sep1) feed the next convolution only, so the ReLU is fused into them.
            string m = $"middle_flow/main_block_{i}";
            string a = g.Separable(g.Relu(t), $"{m}/separable_conv0", 128, 128, 1, Activation.Relu);
            string b = g.Separable(a, $"{m}/separable_conv1", 128, 128, 1, Activation.Relu);
            t = g.Add(g.Separable(b, $"{m}/separable_conv2", 128, 128, 1, Activation.Linear), t);
        }
        t = ReductionBlock(g, t, "exit_flow/reduction_block", 128, 256, activateInput: true);
        t = g.Separable(t, "exit_flow/separable_conv", 256, 512, 1, Activation.Relu);
        string pooled = g.Flatten(g.Pool("AvgPool", t, 7, 2, Padding.Valid));
        g.Compile(g.FullyConnected(pooled, "fc/age", 512, 1), g.FullyConnected(pooled, "fc/gender", 512, 2));
    }

    /// <summary>A face crop [1, h, w, 3] (pixels 0..255) -> age and gender probabilities.</summary>
    public AgeGenderOutput Forward(Tensor face)
    {
        ArgumentNullException.ThrowIfNull(face);
        using var x = FaceFeatureExtractor.Prepare(face);
        var outputs = _net.Run(x);
        using var age = outputs[0];
        using var logits = outputs[1];
        var p = new float[2];
        ElementwiseOps.Softmax(logits.Span, p, 2);
        return new AgeGenderOutput(age.Span[0], p[0], p[1]);
    }

    Graph.GraphPlan IGraphNetwork.Plan => _net.Plan;

    Tensor IGraphNetwork.PrepareInput(Tensor image) => FaceFeatureExtractor.Prepare(image);

    public void Dispose() => _net.Dispose();

    /// <summary>reductionBlock: sep0 -> relu -> sep1 -> 3x3/2 max pool, plus a strided 1x1 expansion of the input.</summary>
    private static string ReductionBlock(FaceGraph g, string x, string prefix, int cin, int cout, bool activateInput)
    {
        string a = g.Separable(activateInput ? g.Relu(x) : x, $"{prefix}/separable_conv0", cin, cout, 1, Activation.Relu);
        string b = g.Separable(a, $"{prefix}/separable_conv1", cout, cout, 1, Activation.Linear);
        string pooled = g.Pool("MaxPool", b, 3, 2, Padding.Same);
        return g.Add(pooled, g.Conv(x, $"{prefix}/expansion_conv", 1, cin, cout, 2, Padding.Same, Activation.Linear));
    }
}
