using System.Numerics;
using Shikaku.Kernels.Gemm;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

/// <summary>max(x, 0); its gradient passes where the output is positive.</summary>
internal readonly struct Relu : IActivation<Relu>
{
    public static ActivationKind Kind => ActivationKind.Relu;
    public static string[] Names { get; } = ["relu"];
    public static Relu Create(in Activation activation) => default;
    public static FusedTail.Op? FusesIntoGemm(in Activation activation) => FusedTail.Op.Relu;
    public Vector<float> Forward(Vector<float> x) => Vector.Max(x, Vector<float>.Zero);
    public Vector<float> Derivative(Vector<float> x, Vector<float> y) =>
        Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);

    public static void Apply(in Relu f, Span<float> x, int offset) => TensorPrimitives.Max(x, 0f, x);

    /// <summary>grad = 0 where the ReLU's output is not positive; large tensors in blocks on all threads.</summary>
    public static unsafe void ApplyGradient(in Relu f, ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad, int offset)
    {
        if (output.Length < grad.Length) throw new ArgumentException($"The ReLU output has {output.Length} values, its gradient {grad.Length}.", nameof(output));
        const int block = 1 << 16;
        int blocks = (grad.Length + block - 1) / block;
        fixed (float* yp = output, gp = grad)
        {
            float* y = yp, g = gp;
            int length = grad.Length;
            Engine.ParallelFor(blocks, (first, last) =>
            {
                int start = first * block, end = Math.Min(length, last * block), i = start;
                for (; i <= end - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var keep = Vector.GreaterThan(Vector.Load(y + i), Vector<float>.Zero);
                    Vector.Store(Vector.ConditionalSelect(keep, Vector.Load(g + i), Vector<float>.Zero), g + i);
                }
                for (; i < end; i++) if (!(y[i] > 0f)) g[i] = 0f;
            });
        }
    }
}

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
