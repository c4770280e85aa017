using Shikaku.Kernels;
using Shikaku.NN;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.Explain;

/// <summary>One layer's output for one input: <paramref name="Shape"/> is [H, W, C] for maps or [units], <paramref name="Values"/> in that order.</summary>
public sealed record LayerMaps(int Index, string Name, string Type, int[] Shape, float[] Values, string Formula);

/// <summary>What a model computed for one input, layer by layer (CNN Explainer's overview).</summary>
public sealed record ModelExplanation(int[] InputShape, float[] Input, IReadOnlyList<LayerMaps> Layers)
{
    /// <summary>The model's output (the last layer's values: class probabilities for a classifier).</summary>
    public float[] Output => Layers[^1].Values;
}

/// <summary>
/// One input channel's share of a convolution's output map: the kernel slice that slid over it and the map that
/// made (<paramref name="Map"/>, OutH x OutW).
/// </summary>
public sealed record ChannelContribution(int Channel, float[] Kernel, float[] Map);

/// <summary>
/// How one output channel of a convolution layer came to be (CNN Explainer's click-a-map view): for each input
/// channel its map and kernel and the map they made, then their sum plus the bias, then the activation.
/// <paramref name="Output"/> is the layer's own output channel, which the sum reproduces.
/// </summary>
public sealed record ConvChannelExplanation(int Layer, string Name, int Channel, int KernelHeight, int KernelWidth, int InHeight, int InWidth,
    int OutHeight, int OutWidth, float Bias, string Activation, IReadOnlyList<float[]> Inputs, IReadOnlyList<ChannelContribution> Contributions,
    float[] PreActivation, float[] Output);

/// <summary>
/// Runs a trained <see cref="Sequential"/> on one input and hands out what each layer computed, through the graph
/// runtime's trace hook (<see cref="Sequential.Trace"/>).
/// </summary>
/// <example><code>
/// var explained = ModelExplainer.Explain(model, image);   // image: [1, 28, 28, 1]
/// var conv = ModelExplainer.ExplainConv(model, image, layer: 0, channel: 5);
/// </code></example>
public static class ModelExplainer
{
    /// <summary>The most values of all layers together that one explanation holds (4 million: the lecture CNN gives 87,000).</summary>
    public const long MaxValues = 4_000_000;

    /// <summary>Every layer's output for <paramref name="input"/>, a batch of one [1, ...InputShape].</summary>
    public static ModelExplanation Explain(Sequential model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        CheckOne(input);
        long values = model.Layers.Sum(l => l.OutputShape.Length);
        if (values > MaxValues)
            throw new ArgumentException($"The model's layers give {values:N0} values for one input, more than the explainer sends ({MaxValues:N0}); " +
                "explain a smaller model, or use predict.");
        var traced = model.Trace(input);
        try
        {
            var layers = traced.Select((t, i) => new LayerMaps(i, t.Layer.Name, t.Layer.TypeName, t.Output.Shape.ToArray().Skip(1).ToArray(),
                t.Output.Span.ToArray(), Formula(t.Layer))).ToList();
            return new ModelExplanation(input.Shape.ToArray().Skip(1).ToArray(), input.Span.ToArray(), layers);
        }
        finally
        {
            foreach (var (_, t) in traced) t.Dispose();
        }
    }

    /// <summary>How output channel <paramref name="channel"/> of convolution layer <paramref name="layer"/> was computed for <paramref name="input"/>.</summary>
    public static ConvChannelExplanation ExplainConv(Sequential model, Tensor input, int layer, int channel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        CheckOne(input);
        if (layer < 0 || layer >= model.Layers.Count)
            throw new ArgumentOutOfRangeException(nameof(layer), $"layer {layer} is not one of the model's {model.Layers.Count} layers (0..{model.Layers.Count - 1}).");
        if (model.Layers[layer] is not Conv2D conv)
            throw new ArgumentException($"layer {layer} ({model.Layers[layer].Name}) is a {model.Layers[layer].TypeName}, not a Conv2D; only convolution maps have kernels to show.", nameof(layer));
        if (channel < 0 || channel >= conv.Filters)
            throw new ArgumentOutOfRangeException(nameof(channel), $"channel {channel} is not one of {conv.Name}'s {conv.Filters} maps (0..{conv.Filters - 1}).");

        var traced = model.Trace(input);
        try
        {
            var x = layer == 0 ? input : traced[layer - 1].Output;
            var y = traced[layer].Output;
            var kernel = conv.Parameters[0].Value; // HWIO
            float bias = conv.Parameters[1].Value.Span[channel];
            int kh = kernel.Shape[0], kw = kernel.Shape[1], cin = kernel.Shape[2], cout = kernel.Shape[3];
            int inH = x.Shape[1], inW = x.Shape[2], outH = y.Shape[1], outW = y.Shape[2];
            // Each input channel alone through the same convolution (the engine's, with the layer's stride, padding and
            // dilation, no bias, no activation): the maps CNN Explainer draws between the input and the output.
            var linear = conv.Options with { Activation = Kernels.Activation.Linear };
            var inputs = new List<float[]>(cin);
            var contributions = new List<ChannelContribution>(cin);
            var sum = new float[outH * outW];
            var xs = x.Span;
            var ks = kernel.Span;
            for (int c = 0; c < cin; c++)
            {
                var plane = new float[inH * inW];
                for (int i = 0; i < plane.Length; i++) plane[i] = xs[i * cin + c];
                var k = new float[kh * kw];
                for (int i = 0; i < k.Length; i++) k[i] = ks[(i * cin + c) * cout + channel];
                using var planeT = Tensor.FromArray(plane, 1, inH, inW, 1);
                using var kT = Tensor.FromArray(k, kh, kw, 1, 1);
                using var mapT = Convolution.Conv2D(planeT, kT, options: linear);
                var map = mapT.Span.ToArray();
                for (int i = 0; i < map.Length; i++) sum[i] += map[i];
                inputs.Add(plane);
                contributions.Add(new ChannelContribution(c, k, map));
            }
            for (int i = 0; i < sum.Length; i++) sum[i] += bias;
            var ys = y.Span;
            var output = new float[outH * outW];
            for (int i = 0; i < output.Length; i++) output[i] = ys[i * cout + channel];
            return new ConvChannelExplanation(layer, conv.Name, channel, kh, kw, inH, inW, outH, outW, bias, conv.Options.Activation.ToString(),
                inputs, contributions, sum, output);
        }
        finally
        {
            foreach (var (_, t) in traced) t.Dispose();
        }
    }

    /// <summary>What the layer computes, as CNN Explainer writes it beside the maps.</summary>
    public static string Formula(Layer layer) => layer switch
    {
        Conv2D c => $"y[k] = {c.Options.Activation}(b[k] + sum over input channels c of (x[c] * W[c,k])), {c.KernelSize}x{c.KernelSize} kernels, stride {c.Options.StrideH}, padding {c.Options.Padding}",
        MaxPooling2D => "y = max of each window",
        AveragePooling2D => "y = mean of each window",
        GlobalAveragePooling2D => "y[c] = mean of map c",
        Flatten => "y = the maps' values in one row (height, width, channel order)",
        Dropout => "y = x (dropout acts only in training)",
        Dense { IsSoftmax: true } => "y = softmax(W x + b): y[i] = exp(z[i]) / sum over j of exp(z[j])",
        Dense d => $"y = {d.Config()["activation"]}(W x + b)",
        _ => layer.TypeName,
    };

    private static void CheckOne(Tensor input)
    {
        if (input.Shape.Rank < 2 || input.Shape[0] != 1)
            throw new ArgumentException($"The explainer takes one input, a batch of 1 ([1, ...]); got {input.Shape}.", nameof(input));
    }
}
