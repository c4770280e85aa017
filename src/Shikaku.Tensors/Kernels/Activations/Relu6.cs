using System.Numerics;
using Shikaku.Kernels.Gemm;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

/// <summary>min(max(x, 0), 6); its gradient passes where the output is strictly between 0 and 6.</summary>
internal readonly struct Relu6 : IActivation<Relu6>
{
    public static ActivationKind Kind => ActivationKind.Relu6;
    public static string[] Names { get; } = ["relu6"];
    public static Relu6 Create(in Activation activation) => default;
    public static FusedTail.Op? FusesIntoGemm(in Activation activation) => FusedTail.Op.Relu6;
    public Vector<float> Forward(Vector<float> x) => Vector.Min(Vector.Max(x, Vector<float>.Zero), new Vector<float>(6f));
    public Vector<float> Derivative(Vector<float> x, Vector<float> y) => Vector.ConditionalSelect(
        Vector.GreaterThan(y, Vector<float>.Zero) & Vector.LessThan(y, new Vector<float>(6f)), Vector<float>.One, Vector<float>.Zero);

    public static void Apply(in Relu6 f, Span<float> x, int offset) => TensorPrimitives.Clamp(x, 0f, 6f, x);

    public static void ApplyGradient(in Relu6 f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
    {
        for (int i = 0; i < grad.Length; i++) if (output[i] <= 0f || output[i] >= 6f) grad[i] = 0f;
    }
}
