using System.Numerics;

namespace Shikaku.Kernels;

/// <summary>
/// x if x &gt; 0, else alpha (e^x - 1), with e^x - 1 free of cancellation near 0. f' = 1 for x &gt; 0, else
/// alpha e^x = y + alpha: from the output when alpha &gt; 0 (then y &gt; 0 exactly where x &gt; 0), from the input otherwise.
/// </summary>
internal readonly struct Elu(float alpha) : IActivation<Elu>
{
    private readonly float _alpha = alpha;
    public static ActivationKind Kind => ActivationKind.Elu;
    public static string[] Names { get; } = ["elu"];
    public static Elu Create(in Activation activation) => new(activation.Alpha);
    public static Activation Parse(string? parameter) => parameter == null ? Activation.Elu() : Activation.Elu(Activation.ParseParameter("elu", parameter));
    public static string Format(in Activation activation) =>
        activation.Alpha == 1f ? "elu" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"elu:{activation.Alpha}");
    public static bool GradientFromOutput(in Activation activation) => activation.Alpha > 0f;

    public Vector<float> Forward(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), x, new Vector<float>(_alpha) * VectorMath.ExpM1(x));

    /// <summary>From x: alpha e^x (exact even where y + alpha would cancel).</summary>
    public Vector<float> Derivative(Vector<float> x, Vector<float> y) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), Vector<float>.One, new Vector<float>(_alpha) * Vector.Exp(x));

    public static void ApplyGradient(in Elu f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
    {
        if (!input.IsEmpty)
        {
            ActivationLoops.ApplyGradient(f, input, output, grad);
            return;
        }
        for (int i = 0; i < grad.Length; i++) grad[i] *= output[i] > 0f ? 1f : output[i] + f._alpha;
    }
}
