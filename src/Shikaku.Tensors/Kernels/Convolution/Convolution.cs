using Shikaku.Kernels.Conv;
using Shikaku.Kernels.Gemm;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>Stride, dilation, padding, groups and the fused activation of a 2-D convolution.</summary>
/// <example><code>new ConvOptions { Stride = 2, Padding = Padding.Same, Activation = Activation.Relu }</code></example>
public sealed record ConvOptions
{
    /// <summary>Vertical step between windows.</summary>
    public int StrideH { get; init; } = 1;
    /// <summary>Horizontal step between windows.</summary>
    public int StrideW { get; init; } = 1;
    /// <summary>Vertical spacing of taps (1 = adjacent).</summary>
    public int DilationH { get; init; } = 1;
    /// <summary>Horizontal spacing of taps.</summary>
    public int DilationW { get; init; } = 1;
    /// <summary>Border handling (default 'valid').</summary>
    public Padding Padding { get; init; } = Padding.Valid;
    /// <summary>Channel groups: input and output channels split into this many independent convolutions.</summary>
    public int Groups { get; init; } = 1;
    /// <summary>Applied to every output value after the bias.</summary>
    public Activation Activation { get; init; } = Activation.Linear;

    /// <summary>What windows see outside the image: zeros (default) or, for depthwise filters, mirrored or repeated edge pixels.</summary>
    public BorderMode Border { get; init; } = BorderMode.Zero;

    /// <summary>Sets both strides.</summary>
    public int Stride
    {
        init => (StrideH, StrideW) = (value, value);
    }

    /// <summary>Sets both dilations.</summary>
    public int Dilation
    {
        init => (DilationH, DilationW) = (value, value);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"stride {StrideH}x{StrideW}, dilation {DilationH}x{DilationW}, padding {Padding}, groups {Groups}, activation {Activation}" +
        (Border == BorderMode.Zero ? "" : $", border {Border}");

    /// <summary>Stride 1, no dilation, 'valid', one group, no activation.</summary>
    public static ConvOptions Default { get; } = new();

    /// <summary>The window geometry for an input of <paramref name="h"/> x <paramref name="w"/> and a <paramref name="kh"/> x <paramref name="kw"/> kernel.</summary>
    public ConvGeometry Geometry(int h, int w, int kh, int kw) => new(h, w, kh, kw, StrideH, StrideW, DilationH, DilationW, Padding);
}

/// <summary>
/// 2-D convolution on NHWC tensors with HWIO weights ([KH, KW, Cin/groups, Cout], as Keras and TF.js
/// store them). General convolutions run as a GEMM whose left operand is read from the image while
/// packing (no im2col buffer); 1x1 convolutions are a GEMM on the image itself; depthwise
/// convolutions (groups = Cin) have their own vectorised kernel. Bias and activation are fused.
/// Training, imported models and the classic image filters all call these functions.
/// </summary>
/// <example><code>
/// using var y = Convolution.Conv2D(x, kernel, bias, new ConvOptions { Padding = Padding.Same, Activation = Activation.Relu });
/// </code></example>
public static partial class Convolution
{
    /// <summary>y = act(conv(x, kernel) + bias). x: [N, H, W, Cin]; kernel: [KH, KW, Cin/groups, Cout]; bias: [Cout] or null.</summary>
    public static Tensor Conv2D(Tensor input, Tensor kernel, Tensor? bias = null, ConvOptions? options = null)
    {
        options ??= ConvOptions.Default;
        var shape = OutputShape(input?.Shape ?? throw new ArgumentNullException(nameof(input)), kernel?.Shape ?? throw new ArgumentNullException(nameof(kernel)), options);
        var output = Tensor.Uninitialized(shape);
        try
        {
            Conv2D(input, kernel, bias, options, output);
        }
        catch
        {
            output.Dispose();
            throw;
        }
        return output;
    }

    /// <summary>Depthwise convolution with Keras weights [KH, KW, C, multiplier]; output has C*multiplier channels.</summary>
    public static Tensor DepthwiseConv2D(Tensor input, Tensor kernel, Tensor? bias = null, ConvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        options ??= ConvOptions.Default;
        if (kernel.Rank != 4)
            throw new ArgumentException($"Depthwise kernel must be [KH, KW, C, multiplier], got {kernel.Shape}.", nameof(kernel));
        if (input.Rank != 4 || input.Shape[3] != kernel.Shape[2])
            throw new ArgumentException($"Depthwise kernel {kernel.Shape} expects {kernel.Shape[2]} input channels; input is {input.Shape} (NHWC).", nameof(input));
        // [KH, KW, C, M] and [KH, KW, 1, C*M] are the same bytes: a grouped convolution with groups = C.
        using var grouped = kernel.Reshape(kernel.Shape[0], kernel.Shape[1], 1, kernel.Shape[2] * kernel.Shape[3]);
        return Conv2D(input, grouped, bias, options with { Groups = input.Shape[3] });
    }

    /// <summary>
    /// max_pool_2x2(act(conv(x, kernel) + bias)) (pooling window 2, stride 2, valid). Where the direct kernel
    /// applies, pairs of convolution rows are pooled as they are computed and the full-size convolution output
    /// never reaches memory; otherwise the two operations run one after the other. Same result.
    /// For training, <paramref name="argmax"/> (one byte per output value) receives the tap of each window that
    /// held the maximum: 0 top left, 1 top right, 2 bottom left, 3 bottom right, the first in that order on ties
    /// (see <see cref="Pooling.MaxPool2x2BackwardFromArgmax"/>).
    /// </summary>
    public static unsafe Tensor Conv2DMaxPool2x2(Tensor input, Tensor kernel, Tensor? bias, ConvOptions options, Span<byte> argmax = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var shape = OutputShape(input?.Shape ?? throw new ArgumentNullException(nameof(input)), kernel?.Shape ?? throw new ArgumentNullException(nameof(kernel)), options);
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != shape[3]))
            throw new ArgumentException($"Bias must be [{shape[3]}] (one value per output channel), got {bias.Shape}.", nameof(bias));
        var g = options.Geometry(input.Shape[1], input.Shape[2], kernel.Shape[0], kernel.Shape[1]);
        var pooledShape = new Shape(shape[0], g.OutH / 2, g.OutW / 2, shape[3]);
        bool record = !argmax.IsEmpty;
        if (record && argmax.Length < pooledShape.Length)
            throw new ArgumentException($"The argmax buffer holds {argmax.Length} bytes; the pooled output {pooledShape} needs {pooledShape.Length}.", nameof(argmax));
        if (options.Border != BorderMode.Zero || !Conv.DirectConv.Applies(g, options.Groups, input.Shape[3], shape[3]) || g.OutH < 2 || g.OutW < 8)
        {
            using var y = Conv2D(input, kernel, bias, options);
            var pooled = Pooling.MaxPool2D(y, new PoolOptions(2));
            if (record) MaxPool2x2Argmax(y, pooled, argmax);
            return pooled;
        }
        var output = Tensor.Uninitialized(pooledShape);
        fixed (float* x = input.Span, k = kernel.Span, o = output.Span, b = bias == null ? default : bias.Span)
        fixed (byte* a = argmax)
            Conv.DirectConv.RunMaxPooled(x, input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3], k, shape[3], bias == null ? null : b, g,
                options.Activation, o, record ? a : null);
        return output;
    }

    /// <summary>
    /// max_pool_2x2(conv_b(conv_a(x))), each convolution with its bias and activation, for inference. Where the
    /// direct kernel takes both convolutions and the batch has at least two images per thread, each thread runs
    /// whole images through both, the first one's output staying in its cache; otherwise the layers run one
    /// after the other. Same values either way.
    /// </summary>
    public static unsafe Tensor Conv2DConv2DMaxPool2x2(Tensor input, Tensor kernelA, Tensor? biasA, ConvOptions optionsA,
        Tensor kernelB, Tensor? biasB, ConvOptions optionsB)
    {
        ArgumentNullException.ThrowIfNull(optionsA);
        ArgumentNullException.ThrowIfNull(optionsB);
        var shapeA = OutputShape(input?.Shape ?? throw new ArgumentNullException(nameof(input)), kernelA?.Shape ?? throw new ArgumentNullException(nameof(kernelA)), optionsA);
        var shapeB = OutputShape(shapeA, kernelB?.Shape ?? throw new ArgumentNullException(nameof(kernelB)), optionsB);
        var ga = optionsA.Geometry(input.Shape[1], input.Shape[2], kernelA.Shape[0], kernelA.Shape[1]);
        var gb = optionsB.Geometry(shapeA[1], shapeA[2], kernelB.Shape[0], kernelB.Shape[1]);
        bool chained = optionsA.Border == BorderMode.Zero && optionsB.Border == BorderMode.Zero
            && Conv.DirectConv.Applies(ga, optionsA.Groups, input.Shape[3], shapeA[3]) && Conv.DirectConv.Applies(gb, optionsB.Groups, shapeA[3], shapeB[3])
            && gb.OutH >= 2 && gb.OutW >= 8 && input.Shape[0] >= 2 * Engine.Threads
            && (biasA == null || biasA.Shape.Length == shapeA[3]) && (biasB == null || biasB.Shape.Length == shapeB[3]);
        if (!chained)
        {
            using var a = Conv2D(input, kernelA, biasA, optionsA);
            return Conv2DMaxPool2x2(a, kernelB, biasB, optionsB);
        }
        var output = Tensor.Uninitialized(new Shape(input.Shape[0], gb.OutH / 2, gb.OutW / 2, shapeB[3]));
        fixed (float* x = input.Span, ka = kernelA.Span, kb = kernelB.Span, o = output.Span)
        fixed (float* ba = biasA == null ? default : biasA.Span, bb = biasB == null ? default : biasB.Span)
            Conv.DirectConv.RunChainMaxPooled(x, input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3],
                ka, shapeA[3], biasA == null ? null : ba, ga, optionsA.Activation,
                kb, shapeB[3], biasB == null ? null : bb, gb, optionsB.Activation, o);
        return output;
    }

    /// <summary>Which tap of each 2x2 window of <paramref name="y"/> held its maximum (the first in window order).</summary>
    private static void MaxPool2x2Argmax(Tensor y, Tensor pooled, Span<byte> argmax)
    {
        int n = y.Shape[0], h = y.Shape[1], w = y.Shape[2], c = y.Shape[3], ph = pooled.Shape[1], pw = pooled.Shape[2];
        var src = y.Span;
        var max = pooled.Span;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < ph; i++)
                for (int j = 0; j < pw; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int at = ((b * ph + i) * pw + j) * c + ch;
                        byte tap = 3;
                        for (int t = 2; t >= 0; t--)
                            if (src[((b * h + 2 * i + t / 2) * w + 2 * j + t % 2) * c + ch] == max[at]) tap = (byte)t;
                        argmax[at] = tap;
                    }
    }

    /// <summary>The output shape [N, OH, OW, Cout], or a clear error naming the mismatch.</summary>
    public static Shape OutputShape(Shape input, Shape kernel, ConvOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (input.Rank != 4)
            throw new ArgumentException($"Convolution input must be NHWC [batch, height, width, channels], got {input}.");
        if (kernel.Rank != 4)
            throw new ArgumentException($"Convolution kernel must be [KH, KW, Cin/groups, Cout], got {kernel}.");
        int c = input[3], groups = options.Groups, cout = kernel[3];
        if (groups < 1 || c % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"Groups = {groups} must divide the input channels ({c}) and the output channels ({cout}).");
        if (kernel[2] != c / groups)
            throw new ArgumentException($"Kernel {kernel} expects {kernel[2]} channels per group, but the input {input} has {c} channels in {groups} group(s) ({c / groups} each).");
        options.Activation.ExpectChannels(cout, "a convolution");
        var g = options.Geometry(input[1], input[2], kernel[0], kernel[1]);
        return new Shape(input[0], g.OutH, g.OutW, cout);
    }

    /// <summary>Writes the convolution into an existing tensor of the right shape.</summary>
    public static unsafe void Conv2D(Tensor input, Tensor kernel, Tensor? bias, ConvOptions options, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(output);
        var shape = OutputShape(input.Shape, kernel.Shape, options);
        output.ExpectShape(shape, "convolution output");
        int cout = kernel.Shape[3];
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"Bias must be [{cout}] (one value per output channel), got {bias.Shape}.", nameof(bias));
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        var g = options.Geometry(h, w, kernel.Shape[0], kernel.Shape[1]);
        fixed (float* x = input.Span, k = kernel.Span, y = output.Span, b = bias == null ? default : bias.Span)
        {
            Run(x, n, h, w, c, k, cout, bias == null ? null : b, g, options.Groups, options.Activation, options.Border, y);
        }
    }

    /// <summary>The raw kernel on pointers; shapes already checked.</summary>
    internal static unsafe void Run(float* x, int n, int h, int w, int c, float* kernel, int cout, float* bias,
        in ConvGeometry g, int groups, Activation activation, BorderMode border, float* y)
    {
        int cg = c / groups, coutg = cout / groups;
        // Depthwise kernel: one window per channel. A single-channel input with many outputs (a first layer)
        // is better served by the direct or GEMM kernels below, unless it needs a border mode only the depthwise kernel has.
        if (groups == c && (c > 1 || coutg == 1 || border != BorderMode.Zero))
        {
            DepthwiseKernel.Run(x, n, h, w, c, kernel, coutg, bias, g, activation, border, y);
            return;
        }
        if (border != BorderMode.Zero)
            throw new NotSupportedException($"Border mode {border} is supported for depthwise convolutions (groups = channels = {c}); this one has groups = {groups}. Pad the input instead.");
        if (Conv.DirectConv.Takes(g, groups, c, cout))
        {
            Conv.DirectConv.Run(x, n, h, w, c, kernel, cout, bias, g, activation, y);
            return;
        }
        int m = n * g.OutH * g.OutW, k = g.KH * g.KW * cg;
        bool pointwise = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1
            && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;
        for (int group = 0; group < groups; group++)
        {
            // Group g reads input channels [g*cg, (g+1)*cg) and writes output columns [g*coutg, (g+1)*coutg):
            // the same GEMM with offset pointers and full-width strides.
            var epilogue = new GemmEpilogue(bias == null ? null : bias + group * coutg, activation);
            float* b = kernel + group * coutg, yg = y + group * coutg;
            if (pointwise)
                GemmDriver.Run(new DenseA(x + group * cg, c, false), b, cout, false, yg, cout, m, coutg, k, 1f, 0f, epilogue);
            else
                GemmDriver.Run(new ImplicitIm2Col(x, h, w, c, g, cg, group * cg), b, cout, false, yg, cout, m, coutg, k, 1f, 0f, epilogue);
        }
    }
}
