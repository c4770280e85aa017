using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// The architecture-specific core of GEMM: C[MR x NR] = alpha * Apanel * Bpanel + beta * C, where
/// Apanel is kc columns of MR packed rows (MR floats per k) and Bpanel is kc rows of NR packed
/// columns (NR floats per k). Everything else in GEMM is portable loops around this.
/// </summary>
internal unsafe interface IMicroKernel
{
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, in FusedTail tail);
}

/// <summary>
/// What the micro-kernel does to a finished tile before storing it: add the bias of its columns and
/// apply a piecewise-linear activation, while the values are still in registers. Only used on the
/// last depth block; sigmoid and tanh run as a separate pass.
/// </summary>
internal readonly unsafe struct FusedTail(float* bias, FusedTail.Op op, float slope)
{
    public enum Op { None, Relu, Relu6, LeakyRelu }

    public static FusedTail Nothing => default;

    /// <summary>Bias values for the tile's first column (NR values), or null.</summary>
    public readonly float* Bias = bias;
    public readonly Op Operation = op;
    /// <summary>Leaky ReLU slope, in [0, 1] so that max(x, slope * x) is the function.</summary>
    public readonly float Slope = slope;

    public bool IsNone => Bias == null && Operation == Op.None;

    /// <summary>The fused form of an activation (each activation says whether it has one), or null if it needs a separate pass.</summary>
    public static Op? For(Activation activation) => activation.Function.FusesIntoGemm(activation);

    public FusedTail At(int column) => new(Bias == null ? null : Bias + column, Operation, Slope);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v, int offset)
    {
        if (Bias != null) v += Vector512.Load(Bias + offset);
        return Operation switch
        {
            Op.Relu => Vector512.Max(v, Vector512<float>.Zero),
            Op.Relu6 => Vector512.Min(Vector512.Max(v, Vector512<float>.Zero), Vector512.Create(6f)),
            Op.LeakyRelu => Vector512.Max(v, v * Slope),
            _ => v,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> v, int offset)
    {
        if (Bias != null) v += Vector256.Load(Bias + offset);
        return Operation switch
        {
            Op.Relu => Vector256.Max(v, Vector256<float>.Zero),
            Op.Relu6 => Vector256.Min(Vector256.Max(v, Vector256<float>.Zero), Vector256.Create(6f)),
            Op.LeakyRelu => Vector256.Max(v, v * Slope),
            _ => v,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Apply(Vector128<float> v, int offset)
    {
        if (Bias != null) v += Vector128.Load(Bias + offset);
        return Operation switch
        {
            Op.Relu => Vector128.Max(v, Vector128<float>.Zero),
            Op.Relu6 => Vector128.Min(Vector128.Max(v, Vector128<float>.Zero), Vector128.Create(6f)),
            Op.LeakyRelu => Vector128.Max(v, v * Slope),
            _ => v,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float v, int offset)
    {
        if (Bias != null) v += Bias[offset];
        return Operation switch
        {
            Op.Relu => MathF.Max(v, 0f),
            Op.Relu6 => MathF.Min(MathF.Max(v, 0f), 6f),
            Op.LeakyRelu => MathF.Max(v, v * Slope),
            _ => v,
        };
    }
}
