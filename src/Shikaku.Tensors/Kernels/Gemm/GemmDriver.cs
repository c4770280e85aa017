using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace Shikaku.Kernels.Gemm;

/// <summary>What to do with each finished block of C: add a per-column bias, then an activation.</summary>
internal readonly unsafe struct GemmEpilogue(float* bias, Activation activation)
{
    public readonly float* Bias = bias;
    public readonly Activation Activation = activation;
    public bool IsNone => Bias == null && Activation.Kind == ActivationKind.Linear;
}

/// <summary>
/// The BLIS loop nest around a packed micro-kernel, with the two outer loops swapped:
/// pc (KC deep) -> jc (NC columns of B) -> pack B -> ic (MC rows of A) -> pack A -> jr -> ir -> micro-kernel.
/// Depth outermost lets a thread pack its rows of A once per depth block and reuse them for every
/// column block (at n = 2048 packing A per column block took 8 % of the time).
/// Threads split C into independent rectangles (rows when C is tall, columns when wide), each packing
/// its own operands, so there is no synchronisation inside a GEMM.
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>Depth of a block: the MR x KC A micro-panel (18 KB) stays in L1 while the KC x NR B micro-panel streams from L2; 384 measured best here (256 and 192 were 2-8 % slower at n = 2048).</summary>
    public const int KC = 384;
    /// <summary>Rows of a packed A block: MC x KC floats (288 KB) stay in L2. A multiple of every MR (12, 6, 4).</summary>
    public const int MC = 192;
    /// <summary>Columns of a packed B panel: KC x NC floats (512 KB) stay in L2 beside the A block (measured: 4-6 % faster at n = 2048 than a 2 MB panel in L3). A multiple of every NR.</summary>
    public const int NC = 512;
    /// <summary>Below this many multiply-adds one thread is faster than waking others.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <param name="singleThread">Run on the calling thread only (the caller already shares the work between threads).</param>
    public static void Run<TA>(TA a, float* b, int ldb, bool transB, float* c, int ldc,
        int m, int n, int k, float alpha, float beta, GemmEpilogue epilogue, bool singleThread = false) where TA : struct, IPackA
    {
        switch (Engine.Simd)
        {
            case SimdLevel.Avx512: Run<MicroKernel<V512, Vector512<float>>, TA>(a, b, ldb, transB, c, ldc, m, n, k, alpha, beta, epilogue, singleThread); break;
            case SimdLevel.Avx2: Run<MicroKernel<V256, Vector256<float>>, TA>(a, b, ldb, transB, c, ldc, m, n, k, alpha, beta, epilogue, singleThread); break;
            case SimdLevel.Vector128: Run<MicroKernel<V128, Vector128<float>>, TA>(a, b, ldb, transB, c, ldc, m, n, k, alpha, beta, epilogue, singleThread); break;
            default: Run<MicroKernelScalar, TA>(a, b, ldb, transB, c, ldc, m, n, k, alpha, beta, epilogue, singleThread); break;
        }
    }

    private static void Run<TK, TA>(TA a, float* b, int ldb, bool transB, float* c, int ldc,
        int m, int n, int k, float alpha, float beta, GemmEpilogue epilogue, bool singleThread)
        where TK : struct, IMicroKernel where TA : struct, IPackA
    {
        if (m == 0 || n == 0) return;
        int threads = singleThread || (long)m * n * k < ParallelThreshold ? 1 : Engine.Threads;
        // Split the longer side of C so each thread's rectangle stays large and the split is even.
        bool splitRows = m >= n || n < threads * TK.NR;
        int parts = Math.Max(1, Math.Min(threads, splitRows ? DivUp(m, TK.MR) : DivUp(n, TK.NR)));
        int step = splitRows ? RoundUp(DivUp(m, parts), TK.MR) : RoundUp(DivUp(n, parts), TK.NR);
        var job = new Job(a, b, ldb, transB, c, ldc, alpha, beta, epilogue, k);
        Engine.ParallelFor(parts, (first, last) =>
        {
            for (int t = first; t < last; t++)
            {
                int start = t * step;
                if (splitRows)
                {
                    if (start < m) RunRectangle<TK, TA>(job, start, Math.Min(m, start + step), 0, n);
                }
                else if (start < n)
                {
                    RunRectangle<TK, TA>(job, 0, m, start, Math.Min(n, start + step));
                }
            }
        });
    }

    private readonly struct Job(IPackA a, float* b, int ldb, bool transB, float* c, int ldc, float alpha, float beta, GemmEpilogue epilogue, int k)
    {
        public readonly IPackA A = a;
        public readonly float* B = b;
        public readonly int Ldb = ldb;
        public readonly bool TransB = transB;
        public readonly float* C = c;
        public readonly int Ldc = ldc;
        public readonly float Alpha = alpha;
        public readonly float Beta = beta;
        public readonly GemmEpilogue Epilogue = epilogue;
        public readonly int K = k;
    }

    /// <summary>Computes the block C[r0..r1, c0..c1] on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRectangle<TK, TA>(in Job job, int r0, int r1, int c0, int c1)
        where TK : struct, IMicroKernel where TA : struct, IPackA
    {
        int mr = TK.MR, nr = TK.NR, k = job.K;
        var a = (TA)job.A;
        float* pa = PackBuffers.A, pb = PackBuffers.B;
        float* tile = stackalloc float[mr * nr];
        var fusedOp = FusedTail.For(job.Epilogue.Activation);
        bool fused = fusedOp != null;
        var op = fusedOp ?? FusedTail.Op.None;
        float slope = job.Epilogue.Activation.Alpha;
        if (k == 0)
        {
            ScaleBlock(job.C, job.Ldc, r0, r1 - r0, c0, c1 - c0, job.Beta);
            if (!job.Epilogue.IsNone) ApplyEpilogue(job, r0, r1 - r0, c0, c1 - c0);
            return;
        }
        // Equal depth blocks: K = 288 runs as 2 x 144, not 256 + a wasteful 32.
        int kBlocks = DivUp(k, KC), kStep = DivUp(k, kBlocks);
        // With more than one column block, each depth block of A is packed once for all of them
        // (rather than once per column block) when the thread's rows fit the wide buffer.
        float* wideA = c1 - c0 > NC ? PackBuffers.WideA(RoundUp(r1 - r0, MC) * kStep) : null;
        for (int pc = 0; pc < k; pc += kStep)
        {
            int kc = Math.Min(kStep, k - pc);
            float beta = pc == 0 ? job.Beta : 1f;
            bool last = pc + kc >= k;
            for (int jc = c0; jc < c1; jc += NC)
            {
                int nc = Math.Min(NC, c1 - jc);
                PackB.Pack(job.B, job.Ldb, job.TransB, pc, kc, jc, nc, nr, pb);
                for (int ic = r0; ic < r1; ic += MC)
                {
                    int mc = Math.Min(MC, r1 - ic);
                    if (wideA != null)
                    {
                        pa = wideA + (long)(ic - r0) * kc;
                        if (jc == c0) a.Pack(ic, mc, pc, kc, mr, pa);
                    }
                    else
                    {
                        a.Pack(ic, mc, pc, kc, mr, pa);
                    }
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int ncols = Math.Min(nr, nc - jr);
                        float* bPanel = pb + jr * kc;
                        // Bias and a piecewise-linear activation are applied in registers on the last depth block.
                        var tail = last && fused ? new FusedTail(job.Epilogue.Bias == null ? null : job.Epilogue.Bias + jc + jr, op, slope) : FusedTail.Nothing;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int nrows = Math.Min(mr, mc - ir);
                            float* aPanel = pa + ir * kc;
                            float* cTile = job.C + (long)(ic + ir) * job.Ldc + jc + jr;
                            if (nrows == mr && ncols == nr)
                            {
                                TK.Run(kc, aPanel, bPanel, cTile, job.Ldc, job.Alpha, beta, tail);
                            }
                            else
                            {
                                // Edge tile: compute the full tile aside, keep the valid part.
                                TK.Run(kc, aPanel, bPanel, tile, nr, job.Alpha, 0f, FusedTail.Nothing);
                                for (int i = 0; i < nrows; i++)
                                    for (int j = 0; j < ncols; j++)
                                    {
                                        float* cij = cTile + (long)i * job.Ldc + j;
                                        float v = beta == 0f ? tile[i * nr + j] : tile[i * nr + j] + beta * *cij;
                                        *cij = tail.IsNone ? v : tail.Apply<V1, float>(v, j);
                                    }
                            }
                        }
                    }
                    if (last && !fused && !job.Epilogue.IsNone) ApplyEpilogue(job, ic, mc, jc, nc);
                }
            }
        }
    }

    private static void ApplyEpilogue(in Job job, int row, int rows, int col, int cols)
    {
        var bias = job.Epilogue.Bias == null ? ReadOnlySpan<float>.Empty : new ReadOnlySpan<float>(job.Epilogue.Bias + col, cols);
        var block = new Span<float>(job.C + (long)row * job.Ldc + col, (rows - 1) * job.Ldc + cols);
        ElementwiseOps.BiasActivate(block, rows, cols, job.Ldc, bias, job.Epilogue.Activation, channel: col);
    }

    private static void ScaleBlock(float* c, int ldc, int row, int rows, int col, int cols, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            var r = new Span<float>(c + (long)(row + i) * ldc + col, cols);
            if (beta == 0f) r.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(r, beta, r);
        }
    }

    private static int DivUp(int a, int b) => (a + b - 1) / b;
    private static int RoundUp(int a, int b) => DivUp(a, b) * b;
}
