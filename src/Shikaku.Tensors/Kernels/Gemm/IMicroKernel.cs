using System.Runtime.CompilerServices;

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

    /// <summary>Bias and activation on <typeparamref name="V"/>.Count columns from <paramref name="offset"/> of the tile; one body for every vector width and the scalar edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Apply<V, T>(T v, int offset) where V : struct, IFloatVector<T> where T : struct
    {
        if (Bias != null) v = V.Add(v, V.Load(Bias + offset));
        return Operation switch
        {
            Op.Relu => V.Max(v, V.Splat(0f)),
            Op.Relu6 => V.Min(V.Max(v, V.Splat(0f)), V.Splat(6f)),
            Op.LeakyRelu => V.Max(v, V.Multiply(v, V.Splat(Slope))),
            _ => v,
        };
    }
}
