using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// 6 x 16 tile on 256-bit vectors with FMA: 12 accumulators + 2 B vectors + 1 broadcast use 15 of
/// the 16 ymm registers (the classic Haswell shape).
/// </summary>
internal unsafe struct MicroKernelAvx2 : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, in FusedTail tail)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // The C tile into L2 ahead of its store, as in the AVX-512 kernel (two lines cover 16 floats).
        for (int i = 0; i < 6; i++)
        {
            Sse.Prefetch1(c + i * ldc);
            Sse.Prefetch1(c + i * ldc + 15);
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            Vector256<float> x;
            x = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(b0, x, c00); c01 = Fma.MultiplyAdd(b1, x, c01);
            x = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(b0, x, c10); c11 = Fma.MultiplyAdd(b1, x, c11);
            x = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(b0, x, c20); c21 = Fma.MultiplyAdd(b1, x, c21);
            x = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(b0, x, c30); c31 = Fma.MultiplyAdd(b1, x, c31);
            x = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(b0, x, c40); c41 = Fma.MultiplyAdd(b1, x, c41);
            x = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(b0, x, c50); c51 = Fma.MultiplyAdd(b1, x, c51);
            a += 6;
            b += 16;
        }
        Store(c + 0 * ldc, c00, c01, alpha, beta, tail);
        Store(c + 1 * ldc, c10, c11, alpha, beta, tail);
        Store(c + 2 * ldc, c20, c21, alpha, beta, tail);
        Store(c + 3 * ldc, c30, c31, alpha, beta, tail);
        Store(c + 4 * ldc, c40, c41, alpha, beta, tail);
        Store(c + 5 * ldc, c50, c51, alpha, beta, tail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> v0, Vector256<float> v1, float alpha, float beta, in FusedTail tail)
    {
        if (alpha != 1f)
        {
            v0 *= alpha;
            v1 *= alpha;
        }
        if (beta != 0f)
        {
            v0 = Fma.MultiplyAdd(Avx.LoadVector256(row), Vector256.Create(beta), v0);
            v1 = Fma.MultiplyAdd(Avx.LoadVector256(row + 8), Vector256.Create(beta), v1);
        }
        if (!tail.IsNone)
        {
            v0 = tail.Apply(v0, 0);
            v1 = tail.Apply(v1, 8);
        }
        Avx.Store(row, v0);
        Avx.Store(row + 8, v1);
    }
}
