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

/// <summary>tanh(x); f' = 1 - y². Spans run through TensorPrimitives.</summary>
internal readonly struct Tanh : IActivation<Tanh>
{
    public static ActivationKind Kind => ActivationKind.Tanh;
    public static string[] Names { get; } = ["tanh"];
    public static Tanh Create(in Activation activation) => default;
    /// <summary>2 sigmoid(2x) - 1 (spans use TensorPrimitives.Tanh, which keeps small x's relative precision).</summary>
    public Vector<float> Forward(Vector<float> x) => new Vector<float>(2f) * VectorMath.Sigmoid(x + x) - Vector<float>.One;
    public Vector<float> Derivative(Vector<float> x, Vector<float> y) => Vector<float>.One - y * y;
    public static void Apply(in Tanh f, Span<float> x, int offset) => TensorPrimitives.Tanh(x, x);

    public static void ApplyGradient(in Tanh f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
    {
        for (int i = 0; i < grad.Length; i++) grad[i] *= 1f - output[i] * output[i];
    }
}
