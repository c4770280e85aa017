using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

public class ConvolutionTests
{
    internal static Padding RandomPadding(Random rng) => rng.Next(4) switch
    {
        0 => Padding.Valid,
        1 => Padding.Same,
        2 => Padding.Explicit(rng.Next(3)),
        // Padding larger than the kernel: some windows see only zeros.
        _ => Padding.Explicit(rng.Next(4), rng.Next(5), rng.Next(4), rng.Next(5)),
    };

    private static void Check(Random rng, int n, int h, int w, int c, int kh, int kw, int cout, ConvOptions o, string label)
    {
        int groups = o.Groups;
        ConvGeometry g;
        try
        {
            g = o.Geometry(h, w, kh, kw);
        }
        catch (ArgumentException)
        {
            return; // no window fits: covered by the error-message test
        }
        var x = Reference.Random(rng, n * h * w * c);
        var k = Reference.Random(rng, kh * kw * (c / groups) * cout);
        var bias = rng.Next(3) == 0 ? null : Reference.Random(rng, cout);
        var expected = Reference.Conv2D(x, n, h, w, c, k, kh, kw, cout, bias, g, groups, o.Activation, o.Border);
        using var input = Tensor.FromArray(x, n, h, w, c);
        using var kernel = Tensor.FromArray(k, kh, kw, c / groups, cout);
        using var b = bias == null ? null : Tensor.FromArray(bias, cout);
        using var y = Convolution.Conv2D(input, kernel, b, o);
        Assert.Equal(new Shape(n, g.OutH, g.OutW, cout), y.Shape);
        Reference.AssertClose(expected, y.Span, 2e-4f, label);
    }

    [Fact]
    public void RandomConvolutionsMatchReferenceOnEverySimdLevel()
    {
        SimdLevels.Trials(new Random(11), 60, (rng, level, trial) =>
        {
            int n = 1 + rng.Next(3), h = 1 + rng.Next(12), w = 1 + rng.Next(12);
            int groups = rng.Next(4) == 0 ? 2 : 1;
            int c = groups * (1 + rng.Next(trial % 10 == 0 ? 40 : 5));
            int cout = groups * (1 + rng.Next(trial % 7 == 0 ? 40 : 6));
            int kh = 1 + rng.Next(5), kw = 1 + rng.Next(5);
            var o = new ConvOptions
            {
                StrideH = 1 + rng.Next(3), StrideW = 1 + rng.Next(3),
                DilationH = 1 + rng.Next(2), DilationW = 1 + rng.Next(2),
                Padding = RandomPadding(rng), Groups = groups,
                Activation = rng.Next(3) == 0 ? Activation.Relu : Activation.Linear,
            };
            // Stride larger than the kernel happens often with these ranges (e.g. 1x1 kernel, stride 3).
            Check(rng, n, h, w, c, kh, kw, cout, o, $"{level} #{trial} x=[{n},{h},{w},{c}] k=[{kh},{kw}] cout={cout} {o}");
        });
    }

    [Fact]
    public void DirectStrideOnePathMatchesReference()
    {
        // Stride 1, at least 16 output channels, rows of at least 4 outputs: the direct AVX-512 kernel
        // (on other SIMD levels the GEMM path). Tiles of 12, 13 and 4 pixels, partial last tiles, every padding, kernels 3x3/5x5/1x3/2x2,
        // bias or none, activations fused in registers (relu, relu6) or applied after (others).
        var rng = new Random(29);
        SimdLevels.ForEach(level =>
        {
            var cases = new (int N, int H, int W, int C, int KH, int KW, int Cout, Padding Padding, Activation Act)[]
            {
                (2, 26, 26, 32, 3, 3, 64, Padding.Valid, Activation.Relu),
                (1, 9, 19, 5, 3, 3, 32, Padding.Same, Activation.Linear),
                (3, 7, 14, 17, 5, 5, 96, Padding.Same, Activation.Relu6),
                (1, 6, 30, 8, 1, 3, 32, Padding.Explicit(1, 0, 2, 1), Activation.LeakyRelu(0.1f)),
                (2, 13, 13, 12, 2, 2, 64, Padding.Valid, Activation.Sigmoid),
                (1, 8, 7, 16, 3, 3, 32, Padding.Same, Activation.Relu),
                (2, 6, 6, 9, 3, 3, 64, Padding.Valid, Activation.Linear),
                (2, 28, 28, 1, 3, 3, 32, Padding.Valid, Activation.Relu),
                (1, 10, 13, 2, 3, 3, 64, Padding.Same, Activation.Linear),
                (1, 5, 27, 32, 3, 3, 32, Padding.Valid, Activation.Relu),   // 25 = 13 + 12
                (1, 4, 41, 3, 3, 3, 64, Padding.Valid, Activation.Tanh),    // 39 = 3 x 13
                // 1x1 convolutions of up to 256 input channels (MobileNet's pointwise layers) and output counts that are
                // not a multiple of 32: weights padded to 32-wide blocks, the last block stored under a mask (16 < lanes
                // < 32, exactly 16, fewer than 16). Its neighbours in memory must stay as they were: every value is checked.
                (1, 12, 16, 16, 1, 1, 16, Padding.Valid, Activation.Relu),
                (2, 7, 13, 24, 1, 1, 24, Padding.Valid, Activation.Linear),
                (1, 5, 29, 3, 1, 1, 40, Padding.Valid, Activation.Relu6),
                (1, 4, 6, 88, 1, 1, 17, Padding.Valid, Activation.LeakyRelu(0.2f)),
                (1, 3, 12, 256, 1, 1, 72, Padding.Valid, Activation.Sigmoid),
                (1, 6, 9, 300, 1, 1, 48, Padding.Valid, Activation.Relu),   // over 256 channels: GEMM
                (2, 9, 14, 5, 3, 3, 24, Padding.Same, Activation.Relu),
                (1, 8, 26, 16, 5, 5, 88, Padding.Same, Activation.Tanh),
                (1, 6, 8, 7, 3, 3, 100, Padding.Valid, Activation.Linear),
                (1, 4, 5, 12, 1, 1, 15, Padding.Valid, Activation.Relu),    // under 16 outputs: GEMM
            };
            foreach (var (n, h, w, c, kh, kw, cout, padding, act) in cases)
                Check(rng, n, h, w, c, kh, kw, cout, new ConvOptions { Padding = padding, Activation = act },
                    $"{level} direct x=[{n},{h},{w},{c}] k={kh}x{kw} cout={cout} {padding} {act}");
        });
    }

    [Fact]
    public void DirectPathForStridesOfTwoMatchesReference()
    {
        var rng = new Random(31);
        SimdLevels.ForEach(level =>
        {
            // Strides of 2 (a network's first layer: 3 channels, 3x3 or 5x5, SAME), odd sizes so the SAME padding is
            // uneven, one stride 2 and the other 1, and 1x1 with stride 2; a stride of 3 goes to GEMM.
            var strided = new (int H, int W, int C, int K, int SH, int SW, int Cout, Padding Padding)[]
            {
                (33, 40, 3, 3, 2, 2, 16, Padding.Same), (31, 57, 3, 5, 2, 2, 24, Padding.Same), (20, 30, 8, 3, 2, 2, 32, Padding.Valid),
                (17, 29, 6, 3, 2, 1, 40, Padding.Same), (16, 28, 16, 1, 2, 2, 24, Padding.Valid), (19, 40, 4, 3, 3, 3, 32, Padding.Same),
            };
            foreach (var (h, w, c, k, sh, sw, cout, padding) in strided)
                Check(rng, 2, h, w, c, k, k, cout, new ConvOptions { Padding = padding, StrideH = sh, StrideW = sw, Activation = Activation.Relu },
                    $"{level} direct x=[2,{h},{w},{c}] k={k}x{k} stride {sh}x{sw} cout={cout} {padding}");
        });
    }

    [Fact]
    public void LargeConvolutionCrossingGemmBlocksMatchesReference()
    {
        // K = 3*3*40 = 360 > KC and M = 2*20*20 = 800 > MC: several packing blocks per dimension.
        var rng = new Random(5);
        Check(rng, 2, 20, 20, 40, 3, 3, 70, new ConvOptions { Padding = Padding.Same }, "large same");
        Check(rng, 1, 23, 17, 64, 1, 1, 96, ConvOptions.Default, "1x1 pointwise");
        Check(rng, 1, 9, 9, 64, 1, 1, 32, new ConvOptions { Groups = 2 }, "1x1 grouped");
    }

    [Fact]
    public void DepthwiseMatchesReferenceOnEverySimdLevel()
    {
        SimdLevels.Trials(new Random(13), 50, (rng, level, trial) =>
        {
            int n = 1 + rng.Next(2), h = 1 + rng.Next(14), w = 1 + rng.Next(30);
            int c = trial % 5 == 0 ? 32 + rng.Next(40) : 1 + rng.Next(6);
            int multiplier = rng.Next(4) == 0 ? 2 : 1;
            int kh = 1 + rng.Next(5), kw = 1 + rng.Next(5);
            var o = new ConvOptions
            {
                StrideH = 1 + rng.Next(2), StrideW = trial % 2 == 0 ? 1 : 1 + rng.Next(3),
                DilationH = 1 + rng.Next(2), DilationW = 1 + rng.Next(2),
                Padding = RandomPadding(rng), Groups = c,
                Activation = rng.Next(2) == 0 ? Activation.Relu6 : Activation.Linear,
                Border = (BorderMode)rng.Next(3),
            };
            Check(rng, n, h, w, c, kh, kw, c * multiplier, o, $"{level} depthwise #{trial} x=[{n},{h},{w},{c}] k=[{kh},{kw}] m={multiplier} {o}");
        });
    }

    [Fact]
    public void Depthwise3x3WithWholeChannelVectorsMatchesReferenceOnEverySimdLevel()
    {
        // The register-tiled 3x3 path (C a multiple of the vector width): four-pixel blocks, their
        // remainder, border columns, kernel rows outside the image, strides, dilations, border modes.
        SimdLevels.Trials(new Random(17), 40, (rng, level, trial) =>
        {
            int n = 1 + rng.Next(2), h = 1 + rng.Next(9), w = trial % 4 == 0 ? 1 + rng.Next(4) : 5 + rng.Next(40);
            int c = new[] { 4, 8, 12, 16, 32, 48, 64 }[rng.Next(7)];
            var o = new ConvOptions
            {
                StrideH = 1 + rng.Next(2), StrideW = 1 + rng.Next(2),
                DilationH = 1 + rng.Next(2), DilationW = trial % 3 == 0 ? 2 : 1,
                Padding = trial % 2 == 0 ? Padding.Same : RandomPadding(rng), Groups = c,
                Activation = rng.Next(2) == 0 ? Activation.Relu6 : Activation.Linear,
                Border = (BorderMode)rng.Next(3),
            };
            Check(rng, n, h, w, c, 3, 3, c, o, $"{level} depthwise 3x3 #{trial} x=[{n},{h},{w},{c}] {o}");
        });
    }

    [Fact]
    public void DepthwiseWithKerasKernelLayoutEqualsGroupedConvolution()
    {
        var rng = new Random(17);
        using var x = Tensor.FromArray(Reference.Random(rng, 1 * 6 * 6 * 3), 1, 6, 6, 3);
        using var k = Tensor.FromArray(Reference.Random(rng, 3 * 3 * 3 * 2), 3, 3, 3, 2);
        using var a = Convolution.DepthwiseConv2D(x, k, null, new ConvOptions { Padding = Padding.Same });
        using var k2 = k.Reshape(3, 3, 1, 6);
        using var b = Convolution.Conv2D(x, k2, null, new ConvOptions { Padding = Padding.Same, Groups = 3 });
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Theory]
    [InlineData(-1, 5, 1)]
    [InlineData(-2, 5, 2)]
    [InlineData(5, 5, 3)]
    [InlineData(6, 5, 2)]
    [InlineData(-7, 5, 1)]
    [InlineData(3, 1, 0)]
    public void Reflect101MirrorsWithoutRepeatingTheEdge(int i, int length, int expected)
        => Assert.Equal(expected, Border.Map(i, length, BorderMode.Reflect101));

    [Fact]
    public void BorderModesOtherThanZeroAreRefusedForDenseConvolutions()
    {
        using var x = Tensor.Zeros(1, 5, 5, 2);
        using var k = Tensor.Zeros(3, 3, 2, 4);
        var e = Assert.Throws<NotSupportedException>(() => Convolution.Conv2D(x, k, null, new ConvOptions { Border = BorderMode.Replicate }));
        Assert.Contains("depthwise", e.Message);
    }

    [Fact]
    public void SamePaddingFollowsTensorFlow()
    {
        // TF: out = ceil(in / stride); pad total = max((out-1)*stride + k - in, 0), the extra pixel bottom/right.
        var g = new ConvGeometry(7, 8, 3, 3, 2, 2, 1, 1, Padding.Same);
        Assert.Equal((4, 4), (g.OutH, g.OutW));
        Assert.Equal((1, 1, 0, 1), (g.PadTop, g.PadBottom, g.PadLeft, g.PadRight));
        var g2 = new ConvGeometry(5, 5, 4, 4, 1, 1, 1, 1, Padding.Same);
        Assert.Equal((1, 2), (g2.PadTop, g2.PadBottom));
    }

    [Fact]
    public void HugeDilationsAndStridesDoNotWrapAroundIntoAWindowThatFits()
    {
        // (3 - 1) * int.MaxValue + 1 wraps to -1 in 32 bits, which once made a 1x7 output of a 1x5 input.
        var e = Assert.Throws<ArgumentException>(() => new ConvGeometry(1, 5, 1, 3, 1, 1, 1, int.MaxValue, Padding.Valid));
        Assert.Contains("does not fit", e.Message);
        Assert.Throws<ArgumentException>(() => new ConvGeometry(3, 3, 3, 3, 1, 1, int.MaxValue, int.MaxValue, Padding.Explicit(1)));
        Assert.Contains("padded input", Assert.Throws<ArgumentException>(() => new ConvGeometry(3, 3, 3, 3, 1, 1, int.MaxValue, int.MaxValue, Padding.Same)).Message);
        // 'same' always fits, however large the stride: one output per dimension.
        var g = new ConvGeometry(5, 5, 3, 3, int.MaxValue, int.MaxValue, 1, 1, Padding.Same);
        Assert.Equal((1, 1), (g.OutH, g.OutW));
        Assert.Equal((0, 0), (g.PadTop, g.PadBottom));
        var huge = new ConvGeometry(5, 5, 3, 3, int.MaxValue, int.MaxValue, 1, 1, Padding.Valid);
        Assert.Equal((1, 1), (huge.OutH, huge.OutW));
        // A dilation that fits the padded side but whose tap arithmetic passes int.MaxValue: both taps lie in the padding.
        var wide = new ConvGeometry(3, 3, 2, 2, 1, 1, 1_500_000_000, 1_500_000_000, Padding.Same);
        Assert.Equal((1, 1), wide.RowTaps(0));
        Assert.Equal((1, 1), wide.ColTaps(0));
    }

    [Fact]
    public void TheTapsInsideTheInputAreEveryTapThatReadsIt()
    {
        var rng = new Random(23);
        for (int trial = 0; trial < 2000; trial++)
        {
            int h = 1 + rng.Next(9), w = 1 + rng.Next(9), kh = 1 + rng.Next(5), kw = 1 + rng.Next(5);
            var padding = rng.Next(3) switch { 0 => Padding.Valid, 1 => Padding.Same, _ => Padding.Explicit(rng.Next(4), rng.Next(4), rng.Next(4), rng.Next(4)) };
            ConvGeometry g;
            try { g = new ConvGeometry(h, w, kh, kw, 1 + rng.Next(3), 1 + rng.Next(3), 1 + rng.Next(3), 1 + rng.Next(3), padding); }
            catch (ArgumentException) { continue; }
            for (int oh = 0; oh < g.OutH; oh++)
            {
                var inside = Enumerable.Range(0, kh).Where(i => g.InputRow(oh, i) >= 0 && g.InputRow(oh, i) < h).ToArray();
                var (first, end) = g.RowTaps(oh);
                Assert.Equal(inside, Enumerable.Range(first, end - first).ToArray());
            }
            for (int ow = 0; ow < g.OutW; ow++)
            {
                var inside = Enumerable.Range(0, kw).Where(j => g.InputCol(ow, j) >= 0 && g.InputCol(ow, j) < w).ToArray();
                var (first, end) = g.ColTaps(ow);
                Assert.Equal(inside, Enumerable.Range(first, end - first).ToArray());
            }
        }
    }

    [Fact]
    public void MismatchedShapesGiveClearErrors()
    {
        using var x = Tensor.Zeros(1, 5, 5, 3);
        using var k = Tensor.Zeros(3, 3, 2, 4);
        var e1 = Assert.Throws<ArgumentException>(() => Convolution.Conv2D(x, k));
        Assert.Contains("expects 2 channels per group", e1.Message);
        using var big = Tensor.Zeros(7, 7, 3, 4);
        var e2 = Assert.Throws<ArgumentException>(() => Convolution.Conv2D(x, big));
        Assert.Contains("does not fit a 5x5 input", e2.Message);
        using var k3 = Tensor.Zeros(3, 3, 3, 4);
        using var bias = Tensor.Zeros(5);
        var e3 = Assert.Throws<ArgumentException>(() => Convolution.Conv2D(x, k3, bias));
        Assert.Contains("Bias must be [4]", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => Convolution.Conv2D(x, k3, null, new ConvOptions { Groups = 2 }));
        Assert.Contains("must divide", e4.Message);
        Assert.Throws<FormatException>(() => Padding.Parse("1,2,3"));
    }
}

public class PoolingTests
{
    [Fact]
    public void RandomPoolingMatchesReferenceOnEverySimdLevel()
    {
        SimdLevels.Trials(new Random(19), 60, (rng, level, trial) =>
        {
            int n = 1 + rng.Next(3), h = 1 + rng.Next(11), w = 1 + rng.Next(11);
            int c = trial % 6 == 0 ? 17 + rng.Next(40) : 1 + rng.Next(5);
            int size = 1 + rng.Next(4);
            var padding = rng.Next(3) switch { 0 => Padding.Valid, 1 => Padding.Same, _ => Padding.Explicit(rng.Next(size + 2)) };
            var o = new PoolOptions(size, 1 + rng.Next(4), padding);
            ConvGeometry g;
            try { g = o.Geometry(h, w); } catch (ArgumentException) { return; }
            var x = Reference.Random(rng, n * h * w * c);
            using var input = Tensor.FromArray(x, n, h, w, c);
            foreach (bool max in new[] { true, false })
            {
                using var y = max ? Pooling.MaxPool2D(input, o) : Pooling.AvgPool2D(input, o);
                Reference.AssertClose(Reference.Pool(x, n, h, w, c, g, max), y.Span, 1e-5f,
                    $"{level} {(max ? "max" : "avg")} x=[{n},{h},{w},{c}] size={size} stride={o.StrideH} pad={padding}");
            }
        });
    }

    [Fact]
    public void GlobalAveragePoolingAveragesEachChannel()
    {
        using var x = Tensor.FromArray([1, 10, 2, 20, 3, 30, 4, 40], 1, 2, 2, 2);
        using var y = Pooling.GlobalAvgPool(x);
        Assert.Equal(new Shape(1, 2), y.Shape);
        Assert.Equal([2.5f, 25f], y.ToArray());
    }
}

public class ConvolutionBackwardTests
{
    [Theory]
    [InlineData(2, 2, 8, 8, 16, "valid")]   // disjoint windows covering the input: written, not cleared first
    [InlineData(2, 2, 9, 7, 19, "valid")]   // disjoint, an uncovered last row and column, a channel tail
    [InlineData(2, 3, 10, 10, 8, "valid")]  // stride larger than the window: gaps between windows
    [InlineData(3, 2, 9, 9, 11, "same")]    // overlapping windows: added
    [InlineData(2, 2, 7, 7, 8, "same")]     // disjoint with padding
    public void MaxPoolGradientGoesToTheFirstMaximumAndThroughReluMatchesTheReluGradientAfterwards(int size, int stride, int h, int w, int c, string padding)
    {
        // ReLU outputs: many exact zeros (ties, and maxima that are not positive) and some repeated values.
        var rng = new Random(43);
        int n = 2;
        var x = Enumerable.Range(0, n * h * w * c).Select(_ => Math.Max(0f, MathF.Round(rng.NextSingle() * 8 - 4) / 2)).ToArray();
        var o = new PoolOptions(size, stride, Padding.Parse(padding));
        var g = o.Geometry(h, w);
        using var input = Tensor.FromArray(x, n, h, w, c);
        using var y = Pooling.MaxPool2D(input, o);
        var dyValues = Reference.Random(rng, y.Shape.Length);
        using var dy = Tensor.FromArray(dyValues, y.Shape.ToArray());
        var expected = new float[x.Length];
        for (int b = 0; b < n; b++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        int best = -1;
                        for (int i = 0; i < size && best < 0; i++)
                            for (int j = 0; j < size && best < 0; j++)
                            {
                                int ih = g.InputRow(oh, i), iw = g.InputCol(ow, j);
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                int at = ((b * h + ih) * w + iw) * c + ch;
                                if (x[at] == y.Span[((b * g.OutH + oh) * g.OutW + ow) * c + ch]) best = at;
                            }
                        expected[best] += dyValues[((b * g.OutH + oh) * g.OutW + ow) * c + ch];
                    }
        using var dx = Pooling.MaxPool2DBackward(input, y, dy, o);
        Assert.Equal(expected, dx.ToArray());
        using var fused = Pooling.MaxPool2DBackward(input, y, dy, o, throughRelu: true);
        Activation.Relu.Backward(input.Span, dx.Span);
        Assert.Equal(dx.ToArray(), fused.ToArray());
        Assert.Contains(fused.ToArray(), v => v != 0);
    }

    [Fact]
    public void WeightAndBiasGradientsOfRandomConvolutionsMatchTheDefinitionOnEverySimdLevel()
    {
        // Output channels a multiple of 32 take the direct AVX-512 kernel (straight from the image when a kernel
        // row holds 12 values, else from each image's patch matrix); others, and lower SIMD levels, the GEMM.
        // Strides, dilations, paddings larger than the kernel, 1-40 channels, batch 1-3.
        var rng = new Random(41);
        int[] channels = [1, 2, 3, 5, 12, 13, 32, 40];
        int[] outputs = [32, 64, 96, 16];
        SimdLevels.ForEach(level =>
        {
            for (int trial = 0; trial < 40; trial++)
            {
                int n = 1 + rng.Next(3), h = 1 + rng.Next(14), w = 1 + rng.Next(14);
                int c = channels[rng.Next(channels.Length)], cout = outputs[trial % outputs.Length];
                int kh = 1 + rng.Next(4), kw = 1 + rng.Next(4);
                var o = new ConvOptions
                {
                    StrideH = 1 + rng.Next(2), StrideW = 1 + rng.Next(2),
                    DilationH = 1 + (rng.Next(4) == 0 ? 1 : 0), DilationW = 1 + (rng.Next(4) == 0 ? 1 : 0),
                    Padding = ConvolutionTests.RandomPadding(rng),
                };
                ConvGeometry g;
                try
                {
                    g = o.Geometry(h, w, kh, kw);
                }
                catch (ArgumentException)
                {
                    continue;
                }
                var x = Reference.Random(rng, n * h * w * c);
                var dy = Reference.Random(rng, n * g.OutH * g.OutW * cout);
                using var input = Tensor.FromArray(x, n, h, w, c);
                using var kernel = Tensor.FromArray(Reference.Random(rng, kh * kw * c * cout), kh, kw, c, cout);
                using var grad = Tensor.FromArray(dy, n, g.OutH, g.OutW, cout);
                using var dw = Tensor.Full(new Shape(kh, kw, c, cout), 0.5f); // gradients accumulate onto what is there
                using var db = Tensor.Full(new Shape(cout), -1f);
                Convolution.Conv2DBackward(input, kernel, grad, o, dw, db, needInputGrad: false);
                var expectedW = new double[kh * kw * c * cout];
                var expectedB = new double[cout];
                Array.Fill(expectedW, 0.5);
                Array.Fill(expectedB, -1.0);
                for (int b = 0; b < n; b++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int p = (b * g.OutH + oh) * g.OutW + ow;
                            for (int co = 0; co < cout; co++) expectedB[co] += dy[p * cout + co];
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = g.InputRow(oh, i), iw = g.InputCol(ow, j);
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                    for (int ci = 0; ci < c; ci++)
                                        for (int co = 0; co < cout; co++)
                                            expectedW[((i * kw + j) * c + ci) * cout + co] += (double)x[((b * h + ih) * w + iw) * c + ci] * dy[p * cout + co];
                                }
                        }
                string label = $"{level} #{trial} x=[{n},{h},{w},{c}] k=[{kh},{kw}] cout={cout} {o}";
                Reference.AssertClose(Array.ConvertAll(expectedW, v => (float)v), dw.Span, 1e-3f, "dW " + label);
                Reference.AssertClose(Array.ConvertAll(expectedB, v => (float)v), db.Span, 1e-3f, "db " + label);
            }
        });
    }

    [Fact]
    public void WeightGradientOfALargeBatchSplitBetweenThreadsMatchesTheDefinition()
    {
        // M = 4*18*18 = 1296 patch rows: large enough for the threads to split the sum over M.
        var rng = new Random(3);
        int n = 4, h = 20, w = 20, c = 32, cout = 64;
        var x = Reference.Random(rng, n * h * w * c);
        var dy = Reference.Random(rng, n * 18 * 18 * cout);
        using var input = Tensor.FromArray(x, n, h, w, c);
        using var kernel = Tensor.FromArray(Reference.Random(rng, 9 * c * cout), 3, 3, c, cout);
        using var grad = Tensor.FromArray(dy, n, 18, 18, cout);
        using var dw = Tensor.Full(new Shape(3, 3, c, cout), 1f); // gradients accumulate onto what is there
        Convolution.Conv2DBackward(input, kernel, grad, ConvOptions.Default, dw, null, needInputGrad: false);
        var expected = new float[9 * c * cout];
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++)
                for (int ci = 0; ci < c; ci++)
                    for (int co = 0; co < cout; co++)
                    {
                        double sum = 1;
                        for (int b = 0; b < n; b++)
                            for (int oh = 0; oh < 18; oh++)
                                for (int ow = 0; ow < 18; ow++)
                                    sum += (double)x[((b * h + oh + kh) * w + ow + kw) * c + ci] * dy[((b * 18 + oh) * 18 + ow) * cout + co];
                        expected[((kh * 3 + kw) * c + ci) * cout + co] = (float)sum;
                    }
        Reference.AssertClose(expected, dw.Span, 2e-3f, "dW");
    }

    [Theory]
    [InlineData("valid")]
    [InlineData("same")]
    public void InputGradientOfAStrideOneConvolutionMatchesTheDefinition(string padding)
    {
        // 32 input channels and rows of at least 12: dx is computed as a convolution by the direct kernel.
        var rng = new Random(31);
        int n = 2, h = 14, w = 15, c = 32, cout = 16;
        var options = new ConvOptions { Padding = Padding.Parse(padding) };
        var g = options.Geometry(h, w, 3, 3);
        var k = Reference.Random(rng, 9 * c * cout);
        var dy = Reference.Random(rng, n * g.OutH * g.OutW * cout);
        using var input = Tensor.FromArray(Reference.Random(rng, n * h * w * c), n, h, w, c);
        using var kernel = Tensor.FromArray(k, 3, 3, c, cout);
        using var grad = Tensor.FromArray(dy, n, g.OutH, g.OutW, cout);
        using var dw = Tensor.Zeros(3, 3, c, cout);
        using var dx = Convolution.Conv2DBackward(input, kernel, grad, options, dw, null)!;
        var expected = new float[n * h * w * c];
        for (int b = 0; b < n; b++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                    for (int kh = 0; kh < 3; kh++)
                        for (int kw = 0; kw < 3; kw++)
                        {
                            int ih = oh - g.PadTop + kh, iw = ow - g.PadLeft + kw;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            for (int ci = 0; ci < c; ci++)
                                for (int co = 0; co < cout; co++)
                                    expected[((b * h + ih) * w + iw) * c + ci] += k[((kh * 3 + kw) * c + ci) * cout + co] * dy[((b * g.OutH + oh) * g.OutW + ow) * cout + co];
                        }
        Reference.AssertClose(expected, dx.Span, 1e-3f, $"dx {padding}");
    }

    [Theory]
    [InlineData(4, 28, 28, 1, 32, 64, "valid", "valid")] // the lecture CNN's two convolutions
    [InlineData(5, 13, 17, 3, 32, 32, "same", "same")]   // padding in both, odd sizes
    [InlineData(4, 12, 12, 8, 16, 32, "valid", "valid")] // 16 channels between: the layers one after the other
    [InlineData(1, 12, 12, 8, 32, 32, "valid", "same")]  // one image: the layers one after the other
    public void TwoConvolutionsAndMaxPoolingImageByImageEqualTheLayersOneAfterTheOther(int n, int h, int w, int c, int mid, int cout, string padA, string padB)
    {
        var rng = new Random(47);
        using var x = Tensor.FromArray(Reference.Random(rng, n * h * w * c), n, h, w, c);
        using var ka = Tensor.FromArray(Reference.Random(rng, 9 * c * mid), 3, 3, c, mid);
        using var ba = Tensor.FromArray(Reference.Random(rng, mid), mid);
        using var kb = Tensor.FromArray(Reference.Random(rng, 9 * mid * cout), 3, 3, mid, cout);
        using var bb = Tensor.FromArray(Reference.Random(rng, cout), cout);
        var oa = new ConvOptions { Padding = Padding.Parse(padA), Activation = Activation.Relu };
        var ob = new ConvOptions { Padding = Padding.Parse(padB), Activation = Activation.Relu6 };
        using var a = Convolution.Conv2D(x, ka, ba, oa);
        using var b = Convolution.Conv2D(a, kb, bb, ob);
        using var expected = Pooling.MaxPool2D(b, new PoolOptions(2));
        using var chained = Convolution.Conv2DConv2DMaxPool2x2(x, ka, ba, oa, kb, bb, ob);
        Assert.Equal(expected.Shape, chained.Shape);
        Assert.Equal(expected.ToArray(), chained.ToArray());
    }

    [Theory]
    [InlineData(2, 26, 26, 32, 64, "valid")]
    [InlineData(1, 17, 21, 3, 32, "same")]
    [InlineData(3, 9, 30, 16, 96, "valid")]
    [InlineData(2, 8, 8, 5, 24, "same")]    // output channels not a multiple of 32: the two operations one after the other
    [InlineData(1, 12, 13, 4, 32, "valid")] // odd convolution output: a last column no window covers
    [InlineData(3, 11, 13, 32, 32, "same")]  // odd output with padding, every kernel direct
    public void FusedConvolutionAndMaxPoolingEqualsThemOneAfterTheOther(int n, int h, int w, int c, int cout, string padding)
    {
        var rng = new Random(37);
        using var x = Tensor.FromArray(Reference.Random(rng, n * h * w * c), n, h, w, c);
        using var k = Tensor.FromArray(Reference.Random(rng, 9 * c * cout), 3, 3, c, cout);
        using var b = Tensor.FromArray(Reference.Random(rng, cout), cout);
        var options = new ConvOptions { Padding = Padding.Parse(padding), Activation = Activation.Relu };
        using var conv = Convolution.Conv2D(x, k, b, options);
        using var expected = Pooling.MaxPool2D(conv, new PoolOptions(2));
        using var fused = Convolution.Conv2DMaxPool2x2(x, k, b, options);
        Assert.Equal(expected.Shape, fused.Shape);
        Assert.Equal(expected.ToArray(), fused.ToArray());

        // For training: the recorded taps route the gradient exactly as the max-pool backward pass over the
        // stored convolution output does (through the ReLU too), uncovered rows and columns getting 0.
        var argmax = new byte[fused.Shape.Length];
        using var recorded = Convolution.Conv2DMaxPool2x2(x, k, b, options, argmax);
        Assert.Equal(expected.ToArray(), recorded.ToArray());
        using var dy = Tensor.FromArray(Reference.Random(rng, fused.Shape.Length), fused.Shape.ToArray());
        foreach (bool throughRelu in new[] { false, true })
        {
            using var reference = Pooling.MaxPool2DBackward(conv, expected, dy, new PoolOptions(2), throughRelu);
            using var fromTaps = Pooling.MaxPool2x2BackwardFromArgmax(conv.Shape, recorded, argmax, dy, throughRelu);
            Assert.Equal(reference.ToArray(), fromTaps.ToArray());
        }

        // The whole backward pass of conv + ReLU + pooling from the taps (the convolution's output gradient built one
        // image at a time where the direct kernels apply) equals pooling's then the convolution's backward passes.
        using var dConv = Pooling.MaxPool2DBackward(conv, expected, dy, new PoolOptions(2), throughRelu: true);
        using var dw = Tensor.Full(k.Shape, 0.25f);
        using var db = Tensor.Full(b.Shape, 0.5f);
        using var dx = Convolution.Conv2DBackward(x, k, dConv, options with { Activation = Activation.Linear }, dw, db)!;
        using var dwFused = Tensor.Full(k.Shape, 0.25f);
        using var dbFused = Tensor.Full(b.Shape, 0.5f);
        using var dxFused = Convolution.Conv2DReluMaxPool2x2Backward(x, k, recorded, argmax, dy, options, dwFused, dbFused)!;
        Reference.AssertClose(dx.Span, dxFused.Span, 1e-5f, "dx");
        Reference.AssertClose(dw.Span, dwFused.Span, 1e-5f, "dW");
        Reference.AssertClose(db.Span, dbFused.Span, 1e-5f, "db");
    }
}
