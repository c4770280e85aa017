using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>
/// The convolutions TF.js graphs use, against naive references: fused Prelu and Relu6, depthwise, NCHW layouts,
/// Conv2DBackpropInput (the transposed convolution), pooling and batch normalisation in NCHW.
/// </summary>
public class TfConvolutionTests
{
    /// <summary>TF's padding: (top, left) and the output size for SAME / VALID.</summary>
    private static (int Out, int Before) Window(int size, int k, int stride, int dilation, string padding)
    {
        int eff = (k - 1) * dilation + 1;
        if (padding == "VALID") return ((size - eff) / stride + 1, 0);
        int output = (size + stride - 1) / stride;
        int total = Math.Max(0, (output - 1) * stride + eff - size);
        return (output, total / 2);
    }

    /// <summary>y[n, oh, ow, co] = Σ x[n, oh s - pad + kh d, ...] w[kh, kw, ci, co] (depthwise: one input channel per group).</summary>
    private static Nd Conv(Nd x, Nd w, int stride, int dilation, string padding, bool depthwise)
    {
        int n = x.Shape[0], h = x.Shape[1], wd = x.Shape[2], c = x.Shape[3], kh = w.Shape[0], kw = w.Shape[1];
        int cout = depthwise ? c * w.Shape[3] : w.Shape[3];
        var (oh, top) = Window(h, kh, stride, dilation, padding);
        var (ow, left) = Window(wd, kw, stride, dilation, padding);
        return Nd.Build([n, oh, ow, cout], i =>
        {
            double sum = 0;
            for (int a = 0; a < kh; a++)
                for (int b = 0; b < kw; b++)
                {
                    int y = i[1] * stride - top + a * dilation, xx = i[2] * stride - left + b * dilation;
                    if (y < 0 || y >= h || xx < 0 || xx >= wd) continue;
                    if (depthwise) sum += x[i[0], y, xx, i[3] / w.Shape[3]] * w[a, b, i[3] / w.Shape[3], i[3] % w.Shape[3]];
                    else for (int ci = 0; ci < c; ci++) sum += x[i[0], y, xx, ci] * w[a, b, ci, i[3]];
                }
            return sum;
        });
    }

    private static Nd ToNchw(Nd x) => Nd.Build([x.Shape[0], x.Shape[3], x.Shape[1], x.Shape[2]], i => x[i[0], i[2], i[3], i[1]], x.DType);

    private static Nd Map(Nd x, Func<int[], double, double> f) => Nd.Build(x.Shape, i => f(i, x[i]), x.DType);

    [Theory]
    [InlineData("_FusedConv2D", "Prelu", 1, "SAME")]
    [InlineData("_FusedConv2D", "Prelu", 2, "VALID")]
    [InlineData("_FusedConv2D", "Relu6", 2, "SAME")]
    [InlineData("FusedDepthwiseConv2dNative", "Prelu", 1, "SAME")]
    [InlineData("FusedDepthwiseConv2dNative", "Relu6", 2, "SAME")]
    public void FusedConvolutionsWithBiasAndPreluOrRelu6(string op, string activation, int stride, string padding)
    {
        var rng = new Random(op.Length + activation.Length * 3 + stride);
        bool depthwise = op.Contains("Depthwise", StringComparison.Ordinal);
        var x = Nd.Random(rng, DType.Float32, 2, 7, 6, 3);
        var w = Nd.Random(rng, DType.Float32, 3, 3, 3, depthwise ? 2 : 5);
        int cout = depthwise ? 6 : 5;
        var bias = Nd.Random(rng, DType.Float32, cout);
        var alpha = Nd.Random(rng, DType.Float32, 1, 1, cout); // facemesh's slopes are [1, 1, C]
        var conv = Conv(x, w, stride, 1, padding, depthwise);
        var expected = Map(conv, (i, v) =>
        {
            double z = (float)(v + bias[i[3]]);
            return activation == "Relu6" ? Math.Clamp(z, 0, 6) : z > 0 ? z : alpha[0, 0, i[3]] * z;
        });
        var attributes = new Attributes
        {
            ["strides"] = AttrValue.Ints(1, stride, stride, 1), ["padding"] = padding, ["fused_ops"] = AttrValue.Strings("BiasAdd", activation),
            ["num_args"] = activation == "Prelu" ? 2L : 1L, ["data_format"] = "NHWC",
        };
        In[] inputs = activation == "Prelu" ? [F(x), C(w), C(bias), C(alpha)] : [F(x), C(w), C(bias)];
        Same(expected, Run(op, attributes, inputs), 1e-4);
    }

    [Fact]
    public void AFusedPreluWithoutItsSlopesIsRefusedAtCompileTime() =>
        Assert.Contains("PReLU slopes", Fails("_FusedConv2D", new() { ["padding"] = "SAME", ["fused_ops"] = AttrValue.Strings("BiasAdd", "Prelu") },
            F(Nd.Random(new Random(1), DType.Float32, 1, 3, 3, 1)), C(Nd.Random(new Random(2), DType.Float32, 1, 1, 1, 2)), C(Nd.Floats([2], 0, 0))).Message);

    [Theory]
    [InlineData("Conv2D", 1, 1)]
    [InlineData("Conv2D", 2, 1)]
    [InlineData("Conv2D", 1, 2)]
    [InlineData("DepthwiseConv2dNative", 2, 1)]
    public void NchwConvolutionsAgreeWithTheNhwcReference(string op, int stride, int dilation)
    {
        var rng = new Random(stride * 10 + dilation + op.Length);
        bool depthwise = op.StartsWith("Depthwise", StringComparison.Ordinal);
        var x = Nd.Random(rng, DType.Float32, 1, 9, 8, 3);
        var w = Nd.Random(rng, DType.Float32, 3, 3, 3, depthwise ? 1 : 4);
        var expected = ToNchw(Conv(x, w, stride, dilation, "SAME", depthwise));
        var attributes = new Attributes
        {
            ["data_format"] = "NCHW", ["strides"] = AttrValue.Ints(1, 1, stride, stride), ["dilations"] = AttrValue.Ints(1, 1, dilation, dilation), ["padding"] = "SAME",
        };
        Same(expected, Run(op, attributes, F(ToNchw(x)), C(w)), 1e-4);
        // Explicit paddings in NCHW order: [0, 0, 0, 0, top, bottom, left, right].
        var pad = new Attributes { ["data_format"] = "NCHW", ["padding"] = "EXPLICIT", ["explicit_paddings"] = AttrValue.Ints(0, 0, 0, 0, 1, 1, 1, 1) };
        if (!depthwise) Same(ToNchw(Conv(x, w, 1, 1, "SAME", false)), Run(op, pad, F(ToNchw(x)), C(w)), 1e-4);
    }

    [Fact]
    public void NchwStridesAlongTheChannelsAreRefused() =>
        Assert.Contains("channels", Fails("Conv2D", new() { ["data_format"] = "NCHW", ["strides"] = AttrValue.Ints(1, 2, 1, 1) },
            F(Nd.Random(new Random(1), DType.Float32, 1, 2, 3, 3)), C(Nd.Random(new Random(2), DType.Float32, 1, 1, 2, 2))).Message);

    [Theory]
    [InlineData("MaxPool", "VALID", 2, 2)]
    [InlineData("MaxPool", "SAME", 3, 2)]
    [InlineData("AvgPool", "SAME", 3, 2)]
    [InlineData("AvgPool", "VALID", 2, 1)]
    public void PoolingInBothLayouts(string op, string padding, int k, int stride)
    {
        var rng = new Random(k * 3 + stride + op.Length);
        var x = Nd.Random(rng, DType.Float32, 2, 7, 6, 3);
        var (oh, top) = Window(7, k, stride, 1, padding);
        var (ow, left) = Window(6, k, stride, 1, padding);
        var expected = Nd.Build([2, oh, ow, 3], i =>
        {
            // TF: the padding takes no part in the max or the average.
            var window = new List<double>();
            for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++)
                {
                    int y = i[1] * stride - top + a, xx = i[2] * stride - left + b;
                    if (y >= 0 && y < 7 && xx >= 0 && xx < 6) window.Add(x[i[0], y, xx, i[3]]);
                }
            return op == "MaxPool" ? window.Max() : window.Average();
        });
        var nhwc = new Attributes { ["ksize"] = AttrValue.Ints(1, k, k, 1), ["strides"] = AttrValue.Ints(1, stride, stride, 1), ["padding"] = padding };
        Same(expected, Run(op, nhwc, F(x)), 1e-5);
        var nchw = new Attributes { ["ksize"] = AttrValue.Ints(1, 1, k, k), ["strides"] = AttrValue.Ints(1, 1, stride, stride), ["padding"] = padding, ["data_format"] = "NCHW" };
        Same(ToNchw(expected), Run(op, nchw, F(ToNchw(x))), 1e-5);
    }

    [Fact]
    public void BiasAddAndBatchNormInNchwRunAlongAxisOne()
    {
        var rng = new Random(5);
        var x = Nd.Random(rng, DType.Float32, 2, 3, 4, 5);
        var b = Nd.Random(rng, DType.Float32, 3);
        Same(Map(x, (i, v) => v + b[i[1]]), Run("BiasAdd", new() { ["data_format"] = "NCHW" }, F(x), C(b)), 1e-6);
        Assert.Contains("bias", Fails("BiasAdd", new() { ["data_format"] = "NCHW" }, F(x), C(Nd.Random(rng, DType.Float32, 5))).Message);
        Nd scale = Nd.Random(rng, DType.Float32, 3), offset = Nd.Random(rng, DType.Float32, 3), mean = Nd.Random(rng, DType.Float32, 3);
        var variance = Map(Nd.Random(rng, DType.Float32, 3), (_, v) => Math.Abs(v) + 0.1);
        var expected = Map(x, (i, v) => (v - mean[i[1]]) / Math.Sqrt(variance[i[1]] + 1e-3) * scale[i[1]] + offset[i[1]]);
        var got = RunAll("FusedBatchNormV3", new() { ["data_format"] = "NCHW", ["epsilon"] = 1e-3f }, 1, F(x), C(scale), C(offset), C(mean), C(variance));
        Same(expected, got[0], 1e-5);
    }

    /// <summary>dx[n, ih, iw, ci] = Σ over the windows that read (ih, iw) of dy[n, oh, ow, co] w[kh, kw, ci, co].</summary>
    private static Nd InputGradient(int[] inputShape, Nd w, Nd dy, int stride, string padding)
    {
        var (_, top) = Window(inputShape[1], w.Shape[0], stride, 1, padding);
        var (_, left) = Window(inputShape[2], w.Shape[1], stride, 1, padding);
        var dx = new double[Nd.Count(inputShape)];
        var result = new Nd(inputShape, dx);
        foreach (var o in Nd.Indices(dy.Shape))
            for (int a = 0; a < w.Shape[0]; a++)
                for (int b = 0; b < w.Shape[1]; b++)
                {
                    int y = o[1] * stride - top + a, x = o[2] * stride - left + b;
                    if (y < 0 || y >= inputShape[1] || x < 0 || x >= inputShape[2]) continue;
                    for (int ci = 0; ci < inputShape[3]; ci++) dx[result.Flat([o[0], y, x, ci])] += dy[o] * w[a, b, ci, o[3]];
                }
        return result;
    }

    [Theory]
    [InlineData(16, 16, 2, 2, "SAME", 1, 16)] // selfie's segmentation head: 2x2 kernel, stride 2, 16 -> 1 channel
    [InlineData(9, 7, 3, 2, "SAME", 4, 3)]
    [InlineData(8, 8, 3, 1, "VALID", 3, 5)]
    [InlineData(10, 6, 3, 1, "SAME", 2, 2)]
    public void Conv2DBackpropInputIsTheTransposedConvolution(int h, int w, int k, int stride, string padding, int cin, int cout)
    {
        var rng = new Random(h * w + k + stride);
        int[] inputShape = [1, h, w, cin];
        var filter = Nd.Random(rng, DType.Float32, k, k, cin, cout);
        var (oh, _) = Window(h, k, stride, 1, padding);
        var (ow, _) = Window(w, k, stride, 1, padding);
        var dy = Nd.Random(rng, DType.Float32, 1, oh, ow, cout);
        var attributes = new Attributes { ["strides"] = AttrValue.Ints(1, stride, stride, 1), ["padding"] = padding, ["data_format"] = "NHWC" };
        var expected = InputGradient(inputShape, filter, dy, stride, padding);
        Same(expected, Run("Conv2DBackpropInput", attributes, C(Nd.Vector(inputShape)), C(filter), F(dy)), 1e-4);
        Same(expected, Run("Conv2DBackpropInput", attributes, F(Nd.Vector(inputShape)), C(filter), F(dy)), 1e-4);
        var nchw = new Attributes { ["strides"] = AttrValue.Ints(1, 1, stride, stride), ["padding"] = padding, ["data_format"] = "NCHW" };
        Same(ToNchw(expected), Run("Conv2DBackpropInput", nchw, C(Nd.Vector(1, cin, h, w)), C(filter), F(ToNchw(dy))), 1e-4);
    }

    [Fact]
    public void Conv2DBackpropInputWhoseSizesDoNotFitTheGradientIsAnError() =>
        Assert.Contains("output gradient", Fails("Conv2DBackpropInput", new() { ["strides"] = AttrValue.Ints(1, 2, 2, 1), ["padding"] = "SAME" },
            C(Nd.Vector(1, 8, 8, 1)), C(Nd.Random(new Random(1), DType.Float32, 2, 2, 1, 4)), F(Nd.Random(new Random(2), DType.Float32, 1, 5, 4, 4))).Message);
}
