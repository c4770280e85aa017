using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

/// <summary>1 / (1 + e^-x); f' = y (1 - y). Spans run through TensorPrimitives (at the widest vector width).</summary>
internal readonly struct Sigmoid : IActivation<Sigmoid>
{
    public static ActivationKind Kind => ActivationKind.Sigmoid;
    public static string[] Names { get; } = ["sigmoid"];
    public static Sigmoid Create(in Activation activation) => default;
    public Vector<float> Forward(Vector<float> x) => VectorMath.Sigmoid(x);
    public Vector<float> Derivative(Vector<float> x, Vector<float> y) => y * (Vector<float>.One - y);
    public static void Apply(in Sigmoid f, Span<float> x, int offset) => TensorPrimitives.Sigmoid(x, x);

    public static void ApplyGradient(in Sigmoid f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
    {
        for (int i = 0; i < grad.Length; i++) grad[i] *= output[i] * (1f - output[i]);
    }
}
