using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// Conv2D, _FusedConv2D (fused_ops BiasAdd and an activation, Prelu included), DepthwiseConv2dNative,
/// FusedDepthwiseConv2dNative, Conv2DBackpropInput (the transposed convolution) and Shikaku's fused convolution + 2x2
/// max pooling ops, all on <see cref="Convolution"/>. NHWC, or NCHW (data_format) through transposes.
/// </summary>
internal static class ConvolutionOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("Conv2D", 2, c => new Conv(c, depthwise: false, fused: false)));
        r.Register(OpSupport.Op("_FusedConv2D", 2, 4, c => new Conv(c, depthwise: false, fused: true)));
        r.Register(OpSupport.Op("DepthwiseConv2dNative", 2, c => new Conv(c, depthwise: true, fused: false)));
        r.Register(OpSupport.Op("FusedDepthwiseConv2dNative", 2, 4, c => new Conv(c, depthwise: true, fused: true)));
        r.Register(OpSupport.Op("Conv2DBackpropInput", 3, c => new TransposedConv(c)));
        r.Register(OpSupport.Op(ConvMaxPool, 3, c => new ConvPool(c)));
        r.Register(OpSupport.Op(ConvConvMaxPool, 5, c => new ConvConvPool(c)));
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
        ActivationOps.HardSwish => Activation.HardSwishScaled(a.Float("scale", 1f / 6)),
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
        ActivationKind.HardSwish => ActivationOps.HardSwish,
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "Linear has no op."),
    };

    /// <summary>TF attributes (strides, dilations, padding, explicit_paddings) of an NHWC node -> options; fused_ops gives bias and activation.</summary>
    public static (ConvOptions Options, bool HasBias) Options(Attributes a, string prefix = "")
    {
        if (OpSupport.IsNchw(a, prefix)) throw new GraphException($"'{prefix}data_format' must be NHWC here.");
        var (options, bias, prelu) = Options(a, prefix, nchw: false);
        return prelu ? throw new GraphException("fused_ops 'Prelu' is not supported here; use _FusedConv2D.") : (options, bias);
    }

    /// <summary>
    /// As <see cref="Options(Attributes, string)"/> for a node of either layout (the strides, dilations and explicit
    /// paddings are in the node's order: NHWC or NCHW); fused_ops may end in Prelu, whose slopes are an extra input.
    /// </summary>
    public static (ConvOptions Options, bool HasBias, bool Prelu) Options(Attributes a, string prefix, bool nchw)
    {
        var strides = a.Ints(prefix + "strides", [1, 1, 1, 1]);
        var dilations = a.Ints(prefix + "dilations", [1, 1, 1, 1]);
        var (sh, sw, dh, dw) = OpSupport.Spatial(strides, dilations, prefix + "strides", prefix + "dilations", nchw);
        var options = new ConvOptions
        {
            StrideH = sh, StrideW = sw, DilationH = dh, DilationW = dw,
            Padding = PaddingOf(a, prefix, nchw),
        };
        var fused = a.Strings(prefix + "fused_ops", []);
        bool bias = false, prelu = false;
        for (int i = 0; i < fused.Length; i++)
        {
            string op = fused[i];
            if (op == "BiasAdd" && i == 0) bias = true;
            else if (op == "Prelu" && i == fused.Length - 1) prelu = true;
            else if (i == fused.Length - 1 && ActivationOf(op, new Attributes { ["alpha"] = a.Float(prefix + "leakyrelu_alpha", 0.2f), ["scale"] = a.Float(prefix + "hardswish_scale", 1f / 6) }) is { } act)
                options = options with { Activation = act };
            else throw new GraphException($"fused_ops [{string.Join(", ", fused)}] is not supported; use BiasAdd followed by Relu, Relu6, LeakyRelu, Sigmoid, Tanh or Prelu.");
        }
        return (options, bias, prelu);
    }

    /// <summary>TF "SAME", "VALID" or "EXPLICIT" (explicit_paddings [0, 0, top, bottom, left, right, 0, 0], or for NCHW [0, 0, 0, 0, top, bottom, left, right]).</summary>
    public static Padding PaddingOf(Attributes a, string prefix = "", bool nchw = false)
    {
        string p = a.String(prefix + "padding", "VALID");
        switch (p)
        {
            case "SAME": return Padding.Same;
            case "VALID": return Padding.Valid;
            case "EXPLICIT":
                var e = a.Ints(prefix + "explicit_paddings");
                if (e.Length != 8) throw new GraphException($"'{prefix}explicit_paddings' must have 8 values, got {e.Length}.");
                int at = nchw ? 4 : 2, c = nchw ? 2 : 6;
                if (e[0] != 0 || e[1] != 0 || e[c] != 0 || e[c + 1] != 0 || e.Skip(at).Take(4).Any(v => v < 0 || v > Padding.MaxParsed))
                    throw new GraphException($"'{prefix}explicit_paddings' [{string.Join(", ", e)}] must pad only height and width, each side by 0..{Padding.MaxParsed}.");
                return Padding.Explicit((int)e[at], (int)e[at + 1], (int)e[at + 2], (int)e[at + 3]);
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
        if (options.Activation.Kind == ActivationKind.HardSwish && options.Activation.Alpha != 0f) a[prefix + "hardswish_scale"] = options.Activation.Alpha;
        return a;
    }

    // A convolution of either layout: inputs x, filter, then the bias when fused_ops has BiasAdd and the PReLU slopes
    // when it ends in Prelu (TF.js's order). NCHW runs through transposes around the NHWC kernel.
    private sealed class Conv : IOpKernel
    {
        private readonly ConvOptions _options;
        private readonly bool _depthwise, _nchw;
        private readonly int _bias = -1, _slopes = -1;

        public Conv(CompileContext c, bool depthwise, bool fused)
        {
            _nchw = OpSupport.IsNchw(c.Attributes);
            (_options, bool bias, bool prelu) = Options(c.Attributes, "", _nchw);
            if (!fused && (bias || prelu || _options.Activation.Kind != ActivationKind.Linear)) throw c.Error("fused_ops belongs to the _Fused ops.");
            int inputs = 2;
            if (bias) _bias = inputs++;
            if (prelu) _slopes = inputs++;
            if (OpSupport.ValueInputs(c.Node) != inputs)
                throw c.Error($"expects {inputs} inputs (input, filter{(bias ? ", bias" : "")}{(prelu ? ", PReLU slopes" : "")}) for fused_ops [{string.Join(", ", c.Attributes.Strings("fused_ops", []))}], got {OpSupport.ValueInputs(c.Node)}.");
            _depthwise = depthwise;
        }

        public void Run(ref KernelContext c)
        {
            var bias = _bias < 0 ? null : c.Input(_bias);
            var options = _slopes < 0 ? _options : _options with { Activation = Activation.PRelu(c.Input(_slopes)) };
            var filter = c.Input(1);
            c.SetOutput(0, OpSupport.InNhwc(c.Input(0), _nchw, x => _depthwise
                ? Convolution.DepthwiseConv2D(x, filter, bias, options)
                : Convolution.Conv2D(x, filter, bias, options)));
        }
    }

    // TF's Conv2DBackpropInput (a transposed convolution): inputs input_sizes (the shape of the result), filter
    // [KH, KW, result channels, input channels] and out_backprop; the strides and padding of the forward convolution.
    private sealed class TransposedConv : IOpKernel
    {
        private readonly ConvOptions _options;
        private readonly bool _nchw;
        private readonly IntegerInput _sizes;

        public TransposedConv(CompileContext c)
        {
            _nchw = OpSupport.IsNchw(c.Attributes);
            (_options, bool bias, bool prelu) = Options(c.Attributes, "", _nchw);
            if (bias || prelu || _options.Activation.Kind != ActivationKind.Linear) throw c.Error("Conv2DBackpropInput has no fused_ops.");
            _sizes = new IntegerInput(c, 0, "input_sizes");
        }

        public void Run(ref KernelContext c)
        {
            var sizes = _sizes.Values(ref c);
            if (sizes.Length != 4) throw new GraphException($"input_sizes must hold 4 values (the result's shape), got {sizes.Length}.");
            var shape = OpSupport.OutputShape(_nchw ? [sizes[0], sizes[2], sizes[3], sizes[1]] : sizes, "Conv2DBackpropInput input_sizes");
            var filter = c.Input(1);
            c.SetOutput(0, OpSupport.InNhwc(c.Input(2), _nchw, dy => Convolution.Conv2DInputGradient(shape, filter, dy, _options)));
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
