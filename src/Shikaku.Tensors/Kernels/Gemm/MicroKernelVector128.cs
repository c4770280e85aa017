using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// 6 x 8 tile on 128-bit vectors: the portable fallback (SSE without FMA, or Arm NEON). Multiply and
/// add are separate so that it runs on every 128-bit ISA at full speed.
/// </summary>
internal unsafe struct MicroKernelVector128 : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, in FusedTail tail)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            Vector128<float> x;
            x = Vector128.Create(a[0]); c00 += b0 * x; c01 += b1 * x;
            x = Vector128.Create(a[1]); c10 += b0 * x; c11 += b1 * x;
            x = Vector128.Create(a[2]); c20 += b0 * x; c21 += b1 * x;
            x = Vector128.Create(a[3]); c30 += b0 * x; c31 += b1 * x;
            x = Vector128.Create(a[4]); c40 += b0 * x; c41 += b1 * x;
            x = Vector128.Create(a[5]); c50 += b0 * x; c51 += b1 * x;
            a += 6;
            b += 8;
        }
        Store(c + 0 * ldc, c00, c01, alpha, beta, tail);
        Store(c + 1 * ldc, c10, c11, alpha, beta, tail);
        Store(c + 2 * ldc, c20, c21, alpha, beta, tail);
        Store(c + 3 * ldc, c30, c31, alpha, beta, tail);
        Store(c + 4 * ldc, c40, c41, alpha, beta, tail);
        Store(c + 5 * ldc, c50, c51, alpha, beta, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector128<float> v0, Vector128<float> v1, float alpha, float beta, in FusedTail tail)
    {
        v0 *= alpha;
        v1 *= alpha;
        if (beta != 0f)
        {
            v0 += Vector128.Load(row) * beta;
            v1 += Vector128.Load(row + 4) * beta;
        }
        if (!tail.IsNone)
        {
            v0 = tail.Apply(v0, 0);
            v1 = tail.Apply(v1, 4);
        }
        Vector128.Store(v0, row);
        Vector128.Store(v1, row + 4);
    }
}
