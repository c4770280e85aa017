using System.Numerics;

namespace Shikaku.Kernels;

/// <summary>
/// GELU, exact: x · Φ(x) with Φ(x) = erfc(-x / √2) / 2, the standard normal CDF (Keras gelu, approximate=False).
/// Φ comes from erfc, accurate in relative terms, so the far negative tail is x · (tiny), not x · (1 - 1) = 0.
/// f' = Φ(x) + x φ(x), φ(x) = e^(-x²/2) / √(2π), from the input.
/// </summary>
internal readonly struct Gelu : IActivation<Gelu>
{
    public static ActivationKind Kind => ActivationKind.Gelu;
    public static string[] Names { get; } = ["gelu"];
    public static Gelu Create(in Activation activation) => default;
    public static bool GradientFromOutput(in Activation activation) => false;

    /// <summary>"gelu" is the exact form; "gelu:tanh" (or "gelu:approximate") the tanh approximation.</summary>
    public static Activation Parse(string? parameter) => parameter switch
    {
        null or "exact" or "erf" => Activation.Gelu(),
        "tanh" or "approximate" => Activation.Gelu(approximate: true),
        _ => throw new FormatException($"GELU takes 'tanh' (the approximation) or nothing (the exact form), got '{parameter}'; write 'gelu' or 'gelu:tanh'."),
    };

    public Vector<float> Forward(Vector<float> x) => x * Cdf(x);

    public Vector<float> Derivative(Vector<float> x, Vector<float> y) =>
        Cdf(x) + x * Vector.Exp(x * x * new Vector<float>(-0.5f)) * new Vector<float>(0.3989422804014327f);

    /// <summary>Φ(x) = 1 - erfc(x/√2)/2 for x &gt;= 0, erfc(-x/√2)/2 below.</summary>
    private static Vector<float> Cdf(Vector<float> x)
    {
        var half = new Vector<float>(0.5f) * VectorMath.Erfc(Vector.Abs(x) * new Vector<float>(0.70710678118654752f));
        return Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<float>.Zero), Vector<float>.One - half, half);
    }
}

/// <summary>
/// GELU's tanh approximation (Keras approximate=True): 0.5 x (1 + tanh(u)), u = √(2/π) (x + 0.044715 x³), written
/// x · σ(2u) (1 + tanh(u) = 2σ(2u)) so nothing cancels for negative x. f' = s + 2x s (1 - s) u', s = σ(2u),
/// u' = √(2/π) (1 + 3 · 0.044715 x²), from the input; x is clamped to ±20 there (where f' is already exactly 0 or 1)
/// so that x² cannot overflow into 0 · ∞.
/// </summary>
internal readonly struct GeluTanh : IActivation<GeluTanh>
{
    private const float Sqrt2OverPi = 0.7978845608028654f, Cubic = 0.044715f;
    public static ActivationKind Kind => ActivationKind.GeluTanh;
    // Parsed through Gelu ("gelu:tanh"); the name here only serves ToString.
    public static string[] Names { get; } = ["gelu:tanh"];
    public static GeluTanh Create(in Activation activation) => default;
    public static bool GradientFromOutput(in Activation activation) => false;

    public Vector<float> Forward(Vector<float> x) => x * VectorMath.Sigmoid(TwoU(x));

    public Vector<float> Derivative(Vector<float> x, Vector<float> y)
    {
        x = Vector.Min(Vector.Max(x, new Vector<float>(-20f)), new Vector<float>(20f));
        var s = VectorMath.Sigmoid(TwoU(x));
        var du = new Vector<float>(Sqrt2OverPi) * (Vector<float>.One + new Vector<float>(3f * Cubic) * x * x);
        return s + new Vector<float>(2f) * x * s * (Vector<float>.One - s) * du;
    }

    private static Vector<float> TwoU(Vector<float> x) => new Vector<float>(2f * Sqrt2OverPi) * (x + new Vector<float>(Cubic) * x * x * x);
}
