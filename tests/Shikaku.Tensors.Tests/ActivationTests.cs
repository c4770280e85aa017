using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

/// <summary>
/// The activations against their formulas in double precision (large |x| included, where the naive float
/// forms overflow or cancel), their gradients against the derivative's formula and against central
/// differences of the forward, and their names.
/// </summary>
public class ActivationTests
{
    // Reference formulas in double. erf has no System.Math form: a series near 0, a continued fraction for erfc beyond.
    private static double Erfc(double z)
    {
        if (z < 0) return 2 - Erfc(-z);
        if (z < 3)
        {
            double sum = 0, term = z;
            for (int n = 0; n < 200; n++)
            {
                sum += term / (2 * n + 1);
                term *= -z * z / (n + 1);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        // erfc(z) = e^-z² / √π · 1 / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...)))), evaluated from the tail.
        double f = z;
        for (int k = 120; k >= 1; k--) f = z + k / 2.0 / f;
        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>log(1 + u), u &gt;= 0: its series where 1 + u would round away u's digits.</summary>
    private static double Log1p(double u) => u < 1e-4 ? u - u * u / 2 + u * u * u / 3 : Math.Log(1 + u);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    private static double Phi(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));
    private static double TanhU(double x) => Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);

    private static double Forward(Activation a, double x) => a.Kind switch
    {
        ActivationKind.HardSwish => x * Math.Min(Math.Max(x + 3, 0), 6) / 6,
        ActivationKind.Swish => x * Sigmoid(x),
        ActivationKind.Gelu => x * Phi(x),
        // 0.5 x (1 + tanh u) = x / (1 + e^(-2u)); the right side does not cancel in double for negative x.
        ActivationKind.GeluTanh => x / (1 + Math.Exp(-2 * TanhU(x))),
        ActivationKind.Elu => x > 0 ? x : a.Alpha * (Math.Exp(x) - 1),
        ActivationKind.Softplus => Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x))),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    private static double Derivative(Activation a, double x) => a.Kind switch
    {
        ActivationKind.HardSwish => x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6,
        ActivationKind.Swish => Sigmoid(x) * (1 + x * (1 - Sigmoid(x))),
        ActivationKind.Gelu => Phi(x) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI),
        ActivationKind.GeluTanh => GeluTanhDerivative(x),
        ActivationKind.Elu => x > 0 ? 1 : a.Alpha * Math.Exp(x),
        ActivationKind.Softplus => Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    private static double GeluTanhDerivative(double x)
    {
        if (Math.Abs(x) > 30) return x > 0 ? 1 : 0;
        // d/dx [0.5 x (1 + tanh u)] = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) u', with 1 + tanh u = 2s and
        // 1 - tanh² u = 4 s (1 - s), s = σ(2u): the σ form does not cancel in the negative tail.
        double s = Sigmoid(2 * TanhU(x));
        return s + 2 * x * s * (1 - s) * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * x * x);
    }

    public static TheoryData<string> New => ["hard_swish", "swish", "gelu", "gelu:tanh", "elu", "elu:0.5", "softplus"];

    /// <summary>A grid over [-12, 12], values near 0, and magnitudes where e^x or x³ overflow a float.</summary>
    private static float[] Points()
    {
        var points = new List<float>();
        for (int i = -240; i <= 240; i++) points.Add(i / 20f + 0.0123f);
        points.AddRange([0f, 1e-7f, -1e-7f, 1e-3f, -1e-3f, -2.9999f, 2.9999f, 30f, -30f, 50f, -50f, 88.8f, -88.8f, 100f, -100f,
            1e4f, -1e4f, 1e15f, -1e15f, 1e30f, -1e30f]);
        return [.. points];
    }

    /// <summary>The activation, the points and its outputs there.</summary>
    private static (Activation, float[], float[]) AtPoints(string name)
    {
        var a = Activation.Parse(name);
        var x = Points();
        var y = (float[])x.Clone();
        a.Apply(y);
        return (a, x, y);
    }

    [Theory]
    [MemberData(nameof(New))]
    public void ForwardMatchesItsFormulaAlsoWhereNaiveFormsOverflow(string name)
    {
        var (a, x, y) = AtPoints(name);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Forward(a, x[i]);
            Assert.True(float.IsFinite(y[i]), $"{name}({x[i]}) = {y[i]}");
            // A few float roundings, times the condition number |x f'(x) / f(x)|: in the far tails (f ~ e^(-x²/2))
            // the rounding of x² alone moves f by x² ulps. An absolute 1e-30 where the value is below float's reach.
            double condition = e == 0 ? 0 : Math.Abs(x[i] * Derivative(a, x[i]) / e);
            Assert.True(Math.Abs(y[i] - e) <= 5e-7 * (4 + condition) * Math.Abs(e) + 1e-30,
                $"{name}({x[i]}) = {y[i]:R}, expected {e:R} (condition {condition:G3})");
        }
    }

    [Theory]
    [MemberData(nameof(New))]
    public void GradientMatchesTheDerivativesFormula(string name)
    {
        var (a, x, y) = AtPoints(name);
        var grad = Enumerable.Repeat(1f, x.Length).ToArray();
        a.Backward(x, y, grad);
        var scaled = Enumerable.Range(0, x.Length).Select(i => i % 2 == 0 ? 2f : -0.5f).ToArray();
        var gradScaled = (float[])scaled.Clone();
        a.Backward(x, y, gradScaled);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Derivative(a, x[i]);
            Assert.True(float.IsFinite(grad[i]), $"{name}'({x[i]}) = {grad[i]}");
            Assert.True(Math.Abs(grad[i] - e) <= 1e-5 * Math.Abs(e) + 1e-6, $"{name}'({x[i]}) = {grad[i]:R}, expected {e:R}");
            Assert.Equal(scaled[i] * grad[i], gradScaled[i], 1e-6f * (1 + Math.Abs(gradScaled[i])));
        }
        // Where the output determines the gradient, the output-only overload gives the same values.
        if (!a.GradientNeedsInput)
        {
            var fromOutput = Enumerable.Repeat(1f, x.Length).ToArray();
            a.Backward(y, fromOutput);
            for (int i = 0; i < x.Length; i++)
                Assert.True(Math.Abs(fromOutput[i] - Derivative(a, x[i])) <= 1e-5 * Math.Abs(Derivative(a, x[i])) + 1e-6,
                    $"{name}'({x[i]}) from the output = {fromOutput[i]:R}, expected {Derivative(a, x[i]):R}");
        }
        else
        {
            Assert.Throws<NotSupportedException>(() => a.Backward(y, new float[x.Length]));
        }
    }

    [Theory]
    [MemberData(nameof(New))]
    [InlineData("relu")]
    [InlineData("relu6")]
    [InlineData("leaky_relu:0.1")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    public void GradientMatchesFiniteDifferencesOfTheForward(string name)
    {
        var a = Activation.Parse(name);
        var rng = new Random(name.Length);
        // Away from the kinks (0, ±3, 6), where the central difference straddles two pieces.
        var x = Enumerable.Range(0, 203).Select(_ => rng.NextSingle() * 16 - 8).Where(v => Math.Abs(v) > 0.01 && Math.Abs(Math.Abs(v) - 3) > 0.01 && Math.Abs(v - 6) > 0.01).ToArray();
        var y = (float[])x.Clone();
        a.Apply(y);
        var grad = Enumerable.Repeat(1f, x.Length).ToArray();
        a.Backward(x, y, grad);
        const float h = 1e-2f;
        for (int i = 0; i < x.Length; i++)
        {
            double numeric = ((double)a.Apply(x[i] + h) - a.Apply(x[i] - h)) / (2 * h);
            // The central difference errs by h²/6 · f''' (small for these) plus float rounding over 2h.
            Assert.True(Math.Abs(grad[i] - numeric) <= 2e-3 * (1 + Math.Abs(numeric)), $"{name}'({x[i]}) = {grad[i]}, central difference {numeric}");
        }
    }

    [Theory]
    [MemberData(nameof(New))]
    [InlineData("relu")]
    [InlineData("leaky_relu:1.5")]
    public void EveryElementOfASpanTakesTheSamePathAsASingleValue(string name)
    {
        var a = Activation.Parse(name);
        var rng = new Random(7);
        foreach (int length in new[] { 1, 7, 8, 9, 31, 100 })
        {
            var x = Enumerable.Range(0, length).Select(_ => rng.NextSingle() * 10 - 5).ToArray();
            var y = (float[])x.Clone();
            a.Apply(y);
            for (int i = 0; i < length; i++) Assert.Equal(a.Apply(x[i]), y[i]);
        }
    }

    [Fact]
    public void AHardSwishWithTheScaleAFileStoredUsesThatScale()
    {
        const float s = 0.16668701f; // float16's 1/6, as converted MobileNetV3s store it
        var a = Activation.HardSwishScaled(s);
        float[] x = [-4f, -3f, -2f, -1f, 0f, 0.5f, 2f, 3f, 5f];
        var y = (float[])x.Clone();
        a.Apply(y);
        var grad = Enumerable.Repeat(1f, x.Length).ToArray();
        a.Backward(x, y, grad);
        for (int i = 0; i < x.Length; i++)
        {
            double e = x[i] * Math.Min(Math.Max(x[i] + 3, 0), 6) * s, d = x[i] < -3 ? 0 : x[i] > 3 ? 6 * s : (2 * x[i] + 3) * s;
            Assert.Equal(e, y[i], 6);
            Assert.Equal(d, grad[i], 5);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Activation.HardSwishScaled(0f));
    }

    [Fact]
    public void SoftplusKeepsTheDigitsOfTinyValuesAndGeluItsNegativeTail()
    {
        // softplus(-20) = log1p(e^-20) ≈ 2.06e-9; log(1 + e^-20) in float is exactly 0.
        AssertRelative(Log1p(Math.Exp(-20)), Activation.Softplus.Apply(-20f), 1e-5);
        Assert.Equal(100f, Activation.Softplus.Apply(100f));
        Assert.Equal(1e30f, Activation.Softplus.Apply(1e30f));
        // gelu(-6) = -6 Φ(-6) ≈ -5.9e-9; 0.5 x (1 + erf) in float is 0.
        AssertRelative(-6 * Phi(-6), Activation.Gelu().Apply(-6f), 1e-4);
        Assert.True(Activation.Gelu(approximate: true).Apply(-6f) < 0);
        // elu near 0: α(e^x - 1) for x = -1e-6 keeps its digits (e^x - 1 in float keeps one).
        AssertRelative(Math.Exp(-1e-6f) - 1, Activation.Elu().Apply(-1e-6f), 1e-6);
    }

    private static void AssertRelative(double expected, float actual, double tolerance)
    {
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"{actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData("hard_swish", ActivationKind.HardSwish, "hard_swish")]
    [InlineData("hard_silu", ActivationKind.HardSwish, "hard_swish")]
    [InlineData("swish", ActivationKind.Swish, "swish")]
    [InlineData("silu", ActivationKind.Swish, "swish")]
    [InlineData("gelu", ActivationKind.Gelu, "gelu")]
    [InlineData("GELU:tanh", ActivationKind.GeluTanh, "gelu:tanh")]
    [InlineData("elu", ActivationKind.Elu, "elu")]
    [InlineData("elu:0.5", ActivationKind.Elu, "elu:0.5")]
    [InlineData("softplus", ActivationKind.Softplus, "softplus")]
    [InlineData("relu", ActivationKind.Relu, "relu")]
    [InlineData("relu6", ActivationKind.Relu6, "relu6")]
    [InlineData("leaky_relu", ActivationKind.LeakyRelu, "leaky_relu:0.3")]
    [InlineData("sigmoid", ActivationKind.Sigmoid, "sigmoid")]
    [InlineData("tanh", ActivationKind.Tanh, "tanh")]
    [InlineData("none", ActivationKind.Linear, "linear")]
    public void NamesParseAndRoundTrip(string text, ActivationKind kind, string canonical)
    {
        var a = Activation.Parse(text);
        Assert.Equal(kind, a.Kind);
        Assert.Equal(canonical, a.ToString());
        Assert.Equal(a, Activation.Parse(a.ToString()));
    }

    [Fact]
    public void KerasDefaultsAndBadParameters()
    {
        Assert.Equal(1f, Activation.Parse("elu").Alpha);
        Assert.Equal(Activation.Gelu(), Activation.Parse("gelu"));
        Assert.Throws<FormatException>(() => Activation.Parse("gelu:fast"));
        Assert.Throws<FormatException>(() => Activation.Parse("elu:abc"));
        Assert.Throws<FormatException>(() => Activation.Parse("swish:2"));
        Assert.Throws<FormatException>(() => Activation.Parse("prelu"));
    }

    [Fact]
    public void FusedActivationsInAMatrixProductAndAConvolutionMatchTheSeparatePass()
    {
        var rng = new Random(3);
        foreach (var name in new[] { "hard_swish", "swish", "gelu", "gelu:tanh", "elu", "softplus" })
        {
            var a = Activation.Parse(name);
            SimdLevels.ForEach(_ =>
            {
                // 600 columns: more than one column block of the GEMM (NC = 512).
                int m = 37, n = 600, k = 19;
                var (x, w) = Reference.Product(rng, m, n, k);
                var bias = Reference.Random(rng, n);
                var fused = new float[m * n];
                Sgemm.Multiply(false, false, m, n, k, 1f, x, k, w, n, 0f, fused, n, bias, a);
                var plain = new float[m * n];
                Sgemm.Multiply(false, false, m, n, k, 1f, x, k, w, n, 0f, plain, n, bias, Activation.Linear);
                a.Apply(plain);
                Assert.Equal(plain, fused);

                using var image = Tensor.FromArray(Reference.Random(rng, 2 * 9 * 9 * 4), 2, 9, 9, 4);
                using var kernel = Tensor.FromArray(Reference.Random(rng, 3 * 3 * 4 * 32), 3, 3, 4, 32);
                using var conv = Convolution.Conv2D(image, kernel, null, new ConvOptions { Padding = Padding.Same, Activation = a });
                using var linear = Convolution.Conv2D(image, kernel, null, new ConvOptions { Padding = Padding.Same });
                a.Apply(linear.Span);
                Assert.Equal(linear.Span.ToArray(), conv.Span.ToArray());
            });
        }
    }
}
