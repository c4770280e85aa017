using System.Numerics;

namespace Shikaku.Kernels;

/// <summary>x · σ(x) (swish, SiLU). f' = σ(x) (1 + x (1 - σ(x))), from the input (the function is not monotonic).</summary>
internal readonly struct Swish : IActivation<Swish>
{
    public static ActivationKind Kind => ActivationKind.Swish;
    public static string[] Names { get; } = ["swish", "silu"];
    public static Swish Create(in Activation activation) => default;
    public static bool GradientFromOutput(in Activation activation) => false;
    public Vector<float> Forward(Vector<float> x) => x * VectorMath.Sigmoid(x);

    public Vector<float> Derivative(Vector<float> x, Vector<float> y)
    {
        var s = VectorMath.Sigmoid(x);
        return s * (Vector<float>.One + x * (Vector<float>.One - s));
    }
}
