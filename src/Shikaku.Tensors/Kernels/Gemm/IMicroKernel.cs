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
    static abstract void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta);
}
