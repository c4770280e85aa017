using System.Numerics;

namespace Shikaku.Kernels;

/// <summary>
/// x · relu6(x + 3) · s with s = 1/6 (MobileNetV3; Keras' hard_silu), or the s a converted model stored (its float16
/// rounding of 1/6). f' = 0 below -3, 6s above 3, (2x + 3) s between; the function is not monotonic on [-3, -1.5], so
/// the gradient needs the input.
/// </summary>
internal readonly struct HardSwish(float scale) : IActivation<HardSwish>
{
    private readonly float _scale = scale;
    public static ActivationKind Kind => ActivationKind.HardSwish;
    public static string[] Names { get; } = ["hard_swish", "hard_silu", "hardswish"];
    public static HardSwish Create(in Activation activation) => new(activation.Alpha == 0f ? 1f / 6 : activation.Alpha);
    public static bool GradientFromOutput(in Activation activation) => false;

    public Vector<float> Forward(Vector<float> x) =>
        x * Vector.Min(Vector.Max(x + new Vector<float>(3f), Vector<float>.Zero), new Vector<float>(6f)) * new Vector<float>(_scale);

    public Vector<float> Derivative(Vector<float> x, Vector<float> y)
    {
        var inside = (x + x + new Vector<float>(3f)) * new Vector<float>(_scale);
        var d = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>(3f)), new Vector<float>(6f * _scale), inside);
        return Vector.ConditionalSelect(Vector.LessThan(x, new Vector<float>(-3f)), Vector<float>.Zero, d);
    }
}
