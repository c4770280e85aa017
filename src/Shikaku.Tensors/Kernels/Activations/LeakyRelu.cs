using System.Numerics;
using Shikaku.Kernels.Gemm;

namespace Shikaku.Kernels;

/// <summary>x if x &gt; 0, else alpha * x. Fused into the tiles as max(x, alpha * x) when 0 &lt;= alpha &lt;= 1.</summary>
internal readonly struct LeakyRelu(float alpha) : IActivation<LeakyRelu>
{
    private readonly float _alpha = alpha;
    public static ActivationKind Kind => ActivationKind.LeakyRelu;
    public static string[] Names { get; } = ["leaky_relu", "leakyrelu"];
    public static LeakyRelu Create(in Activation activation) => new(activation.Alpha);
    public static Activation Parse(string? parameter) =>
        parameter == null ? Activation.LeakyRelu() : Activation.LeakyRelu(Activation.ParseParameter("leaky_relu", parameter));
    public static string Format(in Activation activation) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"leaky_relu:{activation.Alpha}");
    /// <summary>From the output when alpha From the output when alpha &gt; 0 (then y &gt; 0 exactly where x &gt; 0)gt;= 0 (then y From the output when alpha &gt; 0 (then y &gt; 0 exactly where x &gt; 0)gt; 0 exactly where x From the output when alpha &gt; 0 (then y &gt; 0 exactly where x &gt; 0)gt; 0).</summary>
    public static bool GradientFromOutput(in Activation activation) => activation.Alpha >= 0f;
    public static FusedTail.Op? FusesIntoGemm(in Activation activation) => activation.Alpha is >= 0f and <= 1f ? FusedTail.Op.LeakyRelu : null;

    public Vector<float> Forward(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), x, x * _alpha);

    public Vector<float> Derivative(Vector<float> x, Vector<float> y) =>
        Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), Vector<float>.One, new Vector<float>(_alpha));

    public static void Apply(in LeakyRelu f, Span<float> x, int offset)
    {
        float alpha = f._alpha;
        // For 0 <= alpha <= 1, leaky relu is max(x, alpha * x).
        if (alpha is >= 0f and <= 1f)
        {
            for (int i = 0; i < x.Length; i++) x[i] = MathF.Max(x[i], alpha * x[i]);
        }
        else
        {
            for (int i = 0; i < x.Length; i++) x[i] = x[i] > 0 ? x[i] : alpha * x[i];
        }
    }

    public static void ApplyGradient(in LeakyRelu f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
    {
        // The sign of x: from the input when it was kept, else from the output (alpha >= 0).
        var sign = input.IsEmpty ? output : input;
        for (int i = 0; i < grad.Length; i++) if (sign[i] <= 0f) grad[i] *= f._alpha;
    }
}
