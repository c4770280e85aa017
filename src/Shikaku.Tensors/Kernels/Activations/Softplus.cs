using System.Numerics;

namespace Shikaku.Kernels;

/// <summary>
/// log(1 + e^x) as max(x, 0) + log1p(e^-|x|): no overflow for large x, and e^x's digits kept for very negative x.
/// f' = σ(x) = 1 - e^-y, computed as -expm1(-y) from the output (precise where σ is tiny).
/// </summary>
internal readonly struct Softplus : IActivation<Softplus>
{
    public static ActivationKind Kind => ActivationKind.Softplus;
    public static string[] Names { get; } = ["softplus"];
    public static Softplus Create(in Activation activation) => default;

    public Vector<float> Forward(Vector<float> x) =>
        Vector.Max(x, Vector<float>.Zero) + VectorMath.Log1p(Vector.Exp(-Vector.Abs(x)));

    public Vector<float> Derivative(Vector<float> x, Vector<float> y) => -VectorMath.ExpM1(-y);
}
