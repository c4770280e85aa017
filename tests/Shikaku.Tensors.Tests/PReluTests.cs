using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>PReLU as an op with a weight (forward, dx, d alpha) and as a fused activation.</summary>
public class PReluTests
{
    private static float Prelu(float x, float a) => x > 0 ? x : a * x;

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 5 })]          // one slope per channel
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 1, 1, 5 })]    // Keras shared_axes=[1, 2]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 3, 4, 5 })]    // Keras' default: a slope per position
    [InlineData(new[] { 6, 7 }, new[] { 7 })]                // after a dense layer
    public void ForwardIsTheFormulaWithTheSlopesRepeatingAlongTheLastAxes(int[] shape, int[] slopeShape)
    {
        var rng = new Random(shape.Sum());
        using var x = Tensor.FromArray(Reference.Random(rng, shape.Aggregate(1, (p, d) => p * d)), shape);
        using var a = Tensor.FromArray(Reference.Random(rng, slopeShape.Aggregate(1, (p, d) => p * d)), slopeShape);
        using var y = PRelu.Forward(x, a);
        int period = a.Shape.Length;
        for (int i = 0; i < x.Shape.Length; i++) Assert.Equal(Prelu(x.Span[i], a.Span[i % period]), y.Span[i]);

        // The same through the activation value, in place.
        var inPlace = x.Span.ToArray();
        Activation.PRelu(a).Apply(inPlace);
        Assert.Equal(y.Span.ToArray(), inPlace);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferencesForTheInputAndTheSlopes()
    {
        var rng = new Random(11);
        int[] shape = [2, 3, 3, 4];
        var values = Reference.Random(rng, 72);
        // Keep inputs away from 0, where the central difference straddles the kink.
        for (int i = 0; i < values.Length; i++) values[i] += values[i] >= 0 ? 0.05f : -0.05f;
        using var x = Tensor.FromArray(values, shape);
        using var a = Tensor.FromArray([0.1f, -0.2f, 0.3f, 0.25f], 4);
        using var dy = Tensor.FromArray(Reference.Random(rng, 72), shape);
        using var da = Tensor.FromArray([1f, 2f, 3f, 4f], 4);     // accumulates
        using var dx = PRelu.Backward(x, a, dy, da);

        // Loss L = Σ dy · prelu(x; a), in double.
        double Loss(float[] xs, float[] slopes)
        {
            double sum = 0;
            for (int i = 0; i < xs.Length; i++) sum += dy.Span[i] * (double)Prelu(xs[i], slopes[i % 4]);
            return sum;
        }
        const float h = 1e-2f;
        var xs = x.Span.ToArray();
        var slopes = a.Span.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            var plus = (float[])xs.Clone();
            var minus = (float[])xs.Clone();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (Loss(plus, slopes) - Loss(minus, slopes)) / (2 * h);
            Assert.Equal(numeric, dx.Span[i], 1e-4);
        }
        for (int c = 0; c < 4; c++)
        {
            var plus = (float[])slopes.Clone();
            var minus = (float[])slopes.Clone();
            plus[c] += h;
            minus[c] -= h;
            double numeric = (Loss(xs, plus) - Loss(xs, minus)) / (2 * h);
            Assert.Equal(c + 1 + numeric, da.Span[c], 1e-4);
        }

        // The activation value's backward gives the same dx.
        var grad = dy.Span.ToArray();
        using var y = PRelu.Forward(x, a);
        Activation.PRelu(a).Backward(x.Span, y.Span, grad);
        Assert.Equal(dx.Span.ToArray(), grad);
        Assert.True(Activation.PRelu(a).GradientNeedsInput);
    }

    [Fact]
    public void FusedIntoAMatrixProductAndAConvolutionItReadsEachColumnsSlope()
    {
        var rng = new Random(5);
        SimdLevels.ForEach(_ =>
        {
            // 600 columns: the GEMM's second column block starts at column 512 and must read slope 512.
            int m = 29, n = 600, k = 13;
            var (x, w) = Reference.Product(rng, m, n, k);
            using var slopes = Tensor.FromArray(Reference.Random(rng, n), n);
            var fused = new float[m * n];
            Sgemm.Multiply(false, false, m, n, k, 1f, x, k, w, n, 0f, fused, n, ReadOnlySpan<float>.Empty, Activation.PRelu(slopes));
            var plain = new float[m * n];
            Sgemm.Multiply(false, false, m, n, k, 1f, x, k, w, n, 0f, plain, n);
            for (int i = 0; i < plain.Length; i++) Assert.Equal(Prelu(plain[i], slopes.Span[i % n]), fused[i]);

            using var image = Tensor.FromArray(Reference.Random(rng, 2 * 8 * 8 * 3), 2, 8, 8, 3);
            using var kernel = Tensor.FromArray(Reference.Random(rng, 3 * 3 * 3 * 32), 3, 3, 3, 32);
            using var channelSlopes = Tensor.FromArray(Reference.Random(rng, 32), 32);
            using var conv = Convolution.Conv2D(image, kernel, null, new ConvOptions { Activation = Activation.PRelu(channelSlopes) });
            using var linear = Convolution.Conv2D(image, kernel, null, ConvOptions.Default);
            for (int i = 0; i < linear.Shape.Length; i++) Assert.Equal(Prelu(linear.Span[i], channelSlopes.Span[i % 32]), conv.Span[i]);
        });
    }

    [Fact]
    public void SlopesThatDoNotMatchTheChannelsAreRefused()
    {
        using var x = Tensor.Zeros(2, 4, 4, 8);
        using var wrong = Tensor.Zeros(5);
        Assert.Contains("last axes", Assert.Throws<ArgumentException>(() => PRelu.Forward(x, wrong)).Message);
        using var kernel = Tensor.Zeros(3, 3, 8, 16);
        Assert.Contains("one slope per channel", Assert.Throws<ArgumentException>(() =>
            Convolution.Conv2D(x, kernel, null, new ConvOptions { Activation = Activation.PRelu(wrong) })).Message);
    }

    [Fact]
    public void EveryActivationKindHasItsStructAndName()
    {
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            var a = new Activation(kind, 0.5f);
            Assert.False(string.IsNullOrEmpty(a.ToString()));
            if (kind != ActivationKind.PRelu) Assert.Equal(kind, Activation.Parse(a.ToString()).Kind);
        }
    }
}
