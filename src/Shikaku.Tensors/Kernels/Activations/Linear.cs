using System.Numerics;
using Shikaku.Kernels.Gemm;

namespace Shikaku.Kernels;

/// <summary>The identity: nothing to apply, gradient passed through.</summary>
internal readonly struct Linear : IActivation<Linear>
{
    public static ActivationKind Kind => ActivationKind.Linear;
    public static string[] Names { get; } = ["linear", "none", "identity"];
    public static Linear Create(in Activation activation) => default;
    public static FusedTail.Op? FusesIntoGemm(in Activation activation) => FusedTail.Op.None;
    public Vector<float> Forward(Vector<float> x) => x;
    public Vector<float> Derivative(Vector<float> x, Vector<float> y) => Vector<float>.One;
    public static void Apply(in Linear f, Span<float> x, int offset) { }
    public static void ApplyGradient(in Linear f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset) { }
}
