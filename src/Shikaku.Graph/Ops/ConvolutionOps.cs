using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// Conv2D, _FusedConv2D (fused_ops BiasAdd and an activation), DepthwiseConv2dNative, FusedDepthwiseConv2dNative and
/// Shikaku's fused convolution + 2x2 max pooling ops, all on <see cref="Convolution"/>.
/// </summary>
internal static class ConvolutionOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("Conv2D", c => new Conv(c, depthwise: false, fused: false)));
        r.Register(new OpDefinition("_FusedConv2D", c => new Conv(c, depthwise: false, fused: true)));
        r.Register(new OpDefinition("DepthwiseConv2dNative", c => new Conv(c, depthwise: true, fused: false)));
        r.Register(new OpDefinition("FusedDepthwiseConv2dNative", c => new Conv(c, depthwise: true, fused: true)));
        r.Register(new OpDefinition(ConvMaxPool, c => new ConvPool(c)));
        r.Register(new OpDefinition(ConvConvMaxPool, c => new ConvConvPool(c)));
    }

    /// <summary>max_pool_2x2(act(conv(x) + bias)): inputs x, filter, bias; the attributes of _FusedConv2D.</summary>
    public const string ConvMaxPool = "Shikaku.Conv2DMaxPool2x2";
    /// <summary>max_pool_2x2(conv_b(conv_a(x))), image by image: inputs x, filter a, bias a, filter b, bias b; attributes prefixed "a_" and "b_".</summary>
    public const string ConvConvMaxPool = "Shikaku.Conv2DConv2DMaxPool2x2";

    /// <summary>The TF activation names that fuse into a convolution or matrix product.</summary>
    public static Activation? ActivationOf(string op, Attributes a) => op switch
    {
        "Relu" => Activation.Relu,
        "Relu6" => Activation.Relu6,
        "Sigmoid" => Activation.Sigmoid,
        "Tanh" => Activation.Tanh,
        "LeakyRelu" => Activation.LeakyRelu(a.Float("alpha", 0.2f)),
        _ => null,
    };

    /// <summary>The TF name of an activation (and its attributes).</summary>
    public static string OpName(Activation a) => a.Kind switch
    {
        ActivationKind.Relu => "Relu",
        ActivationKind.Relu6 => "Relu6",
        ActivationKind.Sigmoid => "Sigmoid",
        ActivationKind.Tanh => "Tanh",
        ActivationKind.LeakyRelu => "LeakyRelu",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "Linear has no op."),
    };

    /// <summary>TF attributes (strides, dilations, padding, explicit_paddings) -> options; fused_ops gives bias and activation.</summary>
    public static (ConvOptions Options, bool HasBias) Options(Attributes a, string prefix = "")
    {
        var strides = a.Ints(prefix + "strides", [1, 1, 1, 1]);
        var dilations = a.Ints(prefix + "dilations", [1, 1, 1, 1]);
        if (strides.Length != 4 || dilations.Length != 4) throw new GraphException($"'{prefix}strides' and '{prefix}dilations' must have 4 values (NHWC), got {strides.Length} and {dilations.Length}.");
        if (a.String(prefix + "data_format", "NHWC") != "NHWC") throw new GraphException("Only NHWC convolutions are supported; convert the model with data_format NHWC.");
        var options = new ConvOptions
        {
            StrideH = (int)strides[1], StrideW = (int)strides[2], DilationH = (int)dilations[1], DilationW = (int)dilations[2],
            Padding = PaddingOf(a, prefix),
        };
        var fused = a.Strings(prefix + "fused_ops", []);
        bool bias = false;
        foreach (var op in fused)
        {
            if (op == "BiasAdd") bias = true;
            else if (ActivationOf(op, new Attributes { ["alpha"] = a.Float(prefix + "leakyrelu_alpha", 0.2f) }) is { } act) options = options with { Activation = act };
            else throw new GraphException($"fused_ops '{op}' is not supported; use BiasAdd followed by Relu, Relu6, LeakyRelu, Sigmoid or Tanh.");
        }
        return (options, bias);
    }

    /// <summary>TF "SAME", "VALID" or "EXPLICIT" (explicit_paddings [0, 0, top, bottom, left, right, 0, 0]).</summary>
    public static Padding PaddingOf(Attributes a, string prefix = "")
    {
        string p = a.String(prefix + "padding", "VALID");
        switch (p)
        {
            case "SAME": return Padding.Same;
            case "VALID": return Padding.Valid;
            case "EXPLICIT":
                var e = a.Ints(prefix + "explicit_paddings");
                if (e.Length != 8) throw new GraphException($"'{prefix}explicit_paddings' must have 8 values, got {e.Length}.");
                return Padding.Explicit((int)e[2], (int)e[3], (int)e[4], (int)e[5]);
            default: throw new GraphException($"Padding '{p}' is not SAME, VALID or EXPLICIT.");
        }
    }

    /// <summary>The attributes of <paramref name="options"/> in TF's form.</summary>
    public static Attributes AttributesOf(ConvOptions options, bool bias, string prefix = "")
    {
        var a = new Attributes
        {
            [prefix + "strides"] = AttrValue.Ints(1, options.StrideH, options.StrideW, 1),
            [prefix + "dilations"] = AttrValue.Ints(1, options.DilationH, options.DilationW, 1),
            [prefix + "padding"] = options.Padding.Kind switch { PaddingKind.Same => "SAME", PaddingKind.Valid => "VALID", _ => "EXPLICIT" },
        };
        if (options.Padding.Kind == PaddingKind.Explicit)
            a[prefix + "explicit_paddings"] = AttrValue.Ints(0, 0, options.Padding.Top, options.Padding.Bottom, options.Padding.Left, options.Padding.Right, 0, 0);
        var fused = new List<string>();
        if (bias) fused.Add("BiasAdd");
        if (options.Activation.Kind != ActivationKind.Linear) fused.Add(OpName(options.Activation));
        if (fused.Count > 0) a[prefix + "fused_ops"] = fused.ToArray();
        if (options.Activation.Kind == ActivationKind.LeakyRelu) a[prefix + "leakyrelu_alpha"] = options.Activation.Alpha;
        return a;
    }

    private sealed class Conv : IOpKernel
    {
        private readonly ConvOptions _options;
        private readonly bool _bias, _depthwise;

        public Conv(CompileContext c, bool depthwise, bool fused)
        {
            (_options, _bias) = Options(c.Attributes);
            if (!fused && (_bias || _options.Activation.Kind != ActivationKind.Linear)) throw c.Error("fused_ops belongs to the _Fused ops.");
            if (c.Node.Inputs.Count(i => i[0] != '^') != (_bias ? 3 : 2)) throw c.Error($"expects {(_bias ? "input, filter and bias" : "input and filter")}.");
            _depthwise = depthwise;
        }

        public void Run(ref KernelContext c)
        {
            var bias = _bias ? c.Input(2) : null;
            c.SetOutput(0, _depthwise ? Convolution.DepthwiseConv2D(c.Input(0), c.Input(1), bias, _options) : Convolution.Conv2D(c.Input(0), c.Input(1), bias, _options));
        }
    }

    private sealed class ConvPool(CompileContext c) : IOpKernel
    {
        private readonly ConvOptions _options = Options(c.Attributes).Options;

        public void Run(ref KernelContext c) => c.SetOutput(0, Convolution.Conv2DMaxPool2x2(c.Input(0), c.Input(1), c.Input(2), _options));
    }

    private sealed class ConvConvPool(CompileContext c) : IOpKernel
    {
        private readonly ConvOptions _a = Options(c.Attributes, "a_").Options, _b = Options(c.Attributes, "b_").Options;

        public void Run(ref KernelContext c) =>
            c.SetOutput(0, Convolution.Conv2DConv2DMaxPool2x2(c.Input(0), c.Input(1), c.Input(2), _a, c.Input(3), c.Input(4), _b));
    }
}
