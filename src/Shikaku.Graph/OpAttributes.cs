using Shikaku.Graph.Ops;
using Shikaku.Kernels;

namespace Shikaku.Graph;

/// <summary>TensorFlow-style attributes for Shikaku's kernel options, for code that builds graphs from its own layers.</summary>
/// <example><code>new Node("conv", "_FusedConv2D", ["x", "w", "b"], OpAttributes.Conv(options, bias: true))</code></example>
public static class OpAttributes
{
    /// <summary>strides, dilations, padding (explicit_paddings) and fused_ops (BiasAdd when <paramref name="bias"/>, then the activation).</summary>
    public static Attributes Conv(ConvOptions options, bool bias)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Groups != 1 || options.Border != BorderMode.Zero)
            throw new GraphException($"A graph convolution has one group and zero borders; these options have {options}.");
        return ConvolutionOps.AttributesOf(options, bias);
    }

    /// <summary>fused_ops for a matrix product with a bias and <paramref name="activation"/>.</summary>
    public static Attributes MatMul(bool bias, Activation activation) =>
        ConvolutionOps.AttributesOf(new ConvOptions { Activation = activation }, bias) is var a && a.TryGetValue("fused_ops", out var f)
            ? new Attributes { ["fused_ops"] = f, ["leakyrelu_alpha"] = activation.Alpha }
            : new Attributes();

    /// <summary>ksize, strides and padding of a pooling window.</summary>
    public static Attributes Pool(PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var a = ConvolutionOps.AttributesOf(new ConvOptions { Padding = options.Padding }, bias: false);
        a.Remove("strides");
        a.Remove("dilations");
        a["ksize"] = AttrValue.Ints(1, options.SizeH, options.SizeW, 1);
        a["strides"] = AttrValue.Ints(1, options.StrideH, options.StrideW, 1);
        return a;
    }
}
