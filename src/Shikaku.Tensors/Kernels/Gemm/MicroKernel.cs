using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// The vector micro-kernel, one body for every width; the JIT compiles a separate copy per vector type with the
/// unused rows removed. Two vectors of columns per row, as many rows as the registers hold:
/// <list type="bullet">
/// <item>512-bit (AVX-512): 12 x 32; 24 accumulators + 2 B vectors + 1 broadcast fit the 32 zmm registers, and per
/// k 24 FMAs against 2 loads + 12 broadcasts keep the FMA units the bottleneck.</item>
/// <item>256-bit (AVX2 + FMA): 6 x 16; 12 accumulators + 2 + 1 use 15 of the 16 ymm registers (Haswell's shape).</item>
/// <item>128-bit (SSE, Arm NEON): 6 x 8, with multiply and add kept separate (<see cref="V128.Fma"/>) so it runs at
/// full speed on ISAs without FMA.</item>
/// </list>
/// </summary>
[SkipLocalsInit]
internal unsafe struct MicroKernel<V, T> : IMicroKernel where V : struct, IFloatVector<T> where T : struct
{
    public static int MR => V.Count == 16 ? 12 : 6;
    public static int NR => 2 * V.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, in FusedTail tail)
    {
        // Widths read once: every use of a static member is an inlinee, and past the JIT's inlining limits the
        // calls that remain after the loop make every accumulator spill inside it.
        int w = V.Count, mr = w == 16 ? 12 : 6, nr = 2 * w;
        bool twelve = mr == 12;
        T zero = V.Splat(0f);
        T c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero,
            c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero,
            c60 = zero, c61 = zero, c70 = zero, c71 = zero, c80 = zero, c81 = zero,
            c90 = zero, c91 = zero, ca0 = zero, ca1 = zero, cb0 = zero, cb1 = zero;
        // Ask for the C tile now, into L2 (the panels stream through L1 meanwhile): its rows are far apart and usually
        // in L3 by the time the tile is stored (measured at n = 2048 on AVX-512: 143 -> 152 GFLOPS on one thread).
        // The first and last float of a row, and the middle of a 32-float row, cover it at any alignment.
        if (Sse.IsSupported && w >= 8)
            for (int i = 0; i < mr; i++)
            {
                float* row = c + i * ldc;
                Sse.Prefetch1(row);
                if (nr > 16) Sse.Prefetch1(row + 16);
                Sse.Prefetch1(row + nr - 1);
            }
        for (int p = 0; p < kc; p++)
        {
            var b0 = V.Load(b);
            var b1 = V.Load(b + w);
            T x;
            x = V.Splat(a[0]); c00 = V.Fma(b0, x, c00); c01 = V.Fma(b1, x, c01);
            x = V.Splat(a[1]); c10 = V.Fma(b0, x, c10); c11 = V.Fma(b1, x, c11);
            x = V.Splat(a[2]); c20 = V.Fma(b0, x, c20); c21 = V.Fma(b1, x, c21);
            x = V.Splat(a[3]); c30 = V.Fma(b0, x, c30); c31 = V.Fma(b1, x, c31);
            x = V.Splat(a[4]); c40 = V.Fma(b0, x, c40); c41 = V.Fma(b1, x, c41);
            x = V.Splat(a[5]); c50 = V.Fma(b0, x, c50); c51 = V.Fma(b1, x, c51);
            if (twelve)
            {
                x = V.Splat(a[6]); c60 = V.Fma(b0, x, c60); c61 = V.Fma(b1, x, c61);
                x = V.Splat(a[7]); c70 = V.Fma(b0, x, c70); c71 = V.Fma(b1, x, c71);
                x = V.Splat(a[8]); c80 = V.Fma(b0, x, c80); c81 = V.Fma(b1, x, c81);
                x = V.Splat(a[9]); c90 = V.Fma(b0, x, c90); c91 = V.Fma(b1, x, c91);
                x = V.Splat(a[10]); ca0 = V.Fma(b0, x, ca0); ca1 = V.Fma(b1, x, ca1);
                x = V.Splat(a[11]); cb0 = V.Fma(b0, x, cb0); cb1 = V.Fma(b1, x, cb1);
            }
            a += mr;
            b += nr;
        }
        // A plain product goes straight to C. Otherwise the tile goes through a buffer on the stack to one small
        // loop that scales, adds beta * C and applies the tail: inlined twelve times, that work would exceed the JIT's
        // inlining budget and its calls would make the accumulators spill inside the loop above (a measured 2.5x loss).
        bool plain = alpha == 1f && beta == 0f && tail.IsNone;
        Tile buffer;
        float* t = plain ? c : (float*)&buffer;
        int ldt = plain ? ldc : nr;
        V.Store(c00, t); V.Store(c01, t + w);
        V.Store(c10, t + ldt); V.Store(c11, t + ldt + w);
        V.Store(c20, t + 2 * ldt); V.Store(c21, t + 2 * ldt + w);
        V.Store(c30, t + 3 * ldt); V.Store(c31, t + 3 * ldt + w);
        V.Store(c40, t + 4 * ldt); V.Store(c41, t + 4 * ldt + w);
        V.Store(c50, t + 5 * ldt); V.Store(c51, t + 5 * ldt + w);
        if (twelve)
        {
            V.Store(c60, t + 6 * ldt); V.Store(c61, t + 6 * ldt + w);
            V.Store(c70, t + 7 * ldt); V.Store(c71, t + 7 * ldt + w);
            V.Store(c80, t + 8 * ldt); V.Store(c81, t + 8 * ldt + w);
            V.Store(c90, t + 9 * ldt); V.Store(c91, t + 9 * ldt + w);
            V.Store(ca0, t + 10 * ldt); V.Store(ca1, t + 10 * ldt + w);
            V.Store(cb0, t + 11 * ldt); V.Store(cb1, t + 11 * ldt + w);
        }
        if (!plain) Finish(t, c, ldc, alpha, beta, tail);
    }

    /// <summary>C = alpha * tile + beta * C (C read only when beta is not 0), then the fused tail, row by row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Finish(float* tile, float* c, int ldc, float alpha, float beta, in FusedTail tail)
    {
        T a = V.Splat(alpha), b = V.Splat(beta);
        for (int i = 0; i < MR; i++, tile += NR, c += ldc)
            for (int j = 0; j < NR; j += V.Count)
            {
                T v = V.Multiply(V.Load(tile + j), a);
                if (beta != 0f) v = V.Fma(V.Load(c + j), b, v);
                if (!tail.IsNone) v = tail.Apply<V, T>(v, j);
                V.Store(v, c + j);
            }
    }

    /// <summary>Room for the largest tile (12 x 32), a local of fixed size in the frame and never zeroed.</summary>
    [InlineArray(12 * 32)]
    private struct Tile
    {
        private float _first;
    }
}
