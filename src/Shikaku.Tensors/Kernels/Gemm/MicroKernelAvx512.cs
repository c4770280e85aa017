using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// 12 x 32 tile on 512-bit vectors: 24 accumulators + 2 B vectors + 1 broadcast fit the 32 zmm
/// registers; per k, 24 FMAs against 2 loads + 12 broadcasts, so the FMA units stay the bottleneck.
/// </summary>
internal unsafe struct MicroKernelAvx512 : IMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, in FusedTail tail)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default,
            c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        // Ask for the C tile now, into L2 (the panels stream through L1 meanwhile): its rows are far
        // apart and usually in L3 by the time the tile is stored (measured at n = 2048: 143 -> 152
        // GFLOPS on one thread). Three lines cover 32 floats at any alignment.
        for (int i = 0; i < 12; i++)
        {
            float* row = c + i * ldc;
            Sse.Prefetch1(row);
            Sse.Prefetch1(row + 16);
            Sse.Prefetch1(row + 31);
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            Vector512<float> x;
            x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(b0, x, c00); c01 = Vector512.FusedMultiplyAdd(b1, x, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(b0, x, c10); c11 = Vector512.FusedMultiplyAdd(b1, x, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(b0, x, c20); c21 = Vector512.FusedMultiplyAdd(b1, x, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(b0, x, c30); c31 = Vector512.FusedMultiplyAdd(b1, x, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(b0, x, c40); c41 = Vector512.FusedMultiplyAdd(b1, x, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(b0, x, c50); c51 = Vector512.FusedMultiplyAdd(b1, x, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(b0, x, c60); c61 = Vector512.FusedMultiplyAdd(b1, x, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(b0, x, c70); c71 = Vector512.FusedMultiplyAdd(b1, x, c71);
            x = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(b0, x, c80); c81 = Vector512.FusedMultiplyAdd(b1, x, c81);
            x = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(b0, x, c90); c91 = Vector512.FusedMultiplyAdd(b1, x, c91);
            x = Vector512.Create(a[10]); ca0 = Vector512.FusedMultiplyAdd(b0, x, ca0); ca1 = Vector512.FusedMultiplyAdd(b1, x, ca1);
            x = Vector512.Create(a[11]); cb0 = Vector512.FusedMultiplyAdd(b0, x, cb0); cb1 = Vector512.FusedMultiplyAdd(b1, x, cb1);
            a += 12;
            b += 32;
        }
        Store(c + 0 * ldc, c00, c01, alpha, beta, tail);
        Store(c + 1 * ldc, c10, c11, alpha, beta, tail);
        Store(c + 2 * ldc, c20, c21, alpha, beta, tail);
        Store(c + 3 * ldc, c30, c31, alpha, beta, tail);
        Store(c + 4 * ldc, c40, c41, alpha, beta, tail);
        Store(c + 5 * ldc, c50, c51, alpha, beta, tail);
        Store(c + 6 * ldc, c60, c61, alpha, beta, tail);
        Store(c + 7 * ldc, c70, c71, alpha, beta, tail);
        Store(c + 8 * ldc, c80, c81, alpha, beta, tail);
        Store(c + 9 * ldc, c90, c91, alpha, beta, tail);
        Store(c + 10 * ldc, ca0, ca1, alpha, beta, tail);
        Store(c + 11 * ldc, cb0, cb1, alpha, beta, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector512<float> v0, Vector512<float> v1, float alpha, float beta, in FusedTail tail)
    {
        if (alpha != 1f)
        {
            v0 *= alpha;
            v1 *= alpha;
        }
        if (beta != 0f)
        {
            v0 = Vector512.FusedMultiplyAdd(Vector512.Load(row), Vector512.Create(beta), v0);
            v1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 16), Vector512.Create(beta), v1);
        }
        if (!tail.IsNone)
        {
            v0 = tail.Apply(v0, 0);
            v1 = tail.Apply(v1, 16);
        }
        Vector512.Store(v0, row);
        Vector512.Store(v1, row + 16);
    }
}
