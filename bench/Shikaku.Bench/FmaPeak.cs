using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Shikaku.Kernels;

namespace Shikaku.Bench;

/// <summary>
/// Measures the machine's peak single-precision FMA throughput: independent FMA chains (enough to
/// hide latency) on the widest vectors, one per thread. GEMM efficiency is reported against this.
/// </summary>
internal static class FmaPeak
{
    public static double MeasureGflops(int threads)
    {
        const long iterations = 200_000_000 / 16;
        Run(1000); // JIT warm-up
        double best = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Run(iterations));
            double seconds = sw.Elapsed.TotalSeconds;
            double flops = 2.0 * Lanes * Chains * iterations * threads;
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    private const int Chains = 12;
    private static int Lanes => Engine.Simd >= SimdLevel.Avx512 ? 16 : Engine.Simd >= SimdLevel.Avx2 ? 8 : 4;

    private static float Run(long iterations) =>
        Engine.Simd >= SimdLevel.Avx512 ? Run<V512, Vector512<float>>(iterations) : Run<V256, Vector256<float>>(iterations);

    // One body for every width: the JIT compiles a separate, fully inlined copy per vector type (as
    // for the kernels), so each measures the same 12 independent FMA chains on its own register width.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Run<TVector, T>(long n) where TVector : struct, IFloatVector<T> where T : struct
    {
        var m = TVector.Splat(0.999999f);
        var k = TVector.Splat(1e-7f);
        T a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m, a10 = m, a11 = m;
        for (long i = 0; i < n; i++)
        {
            a0 = TVector.Fma(a0, m, k); a1 = TVector.Fma(a1, m, k);
            a2 = TVector.Fma(a2, m, k); a3 = TVector.Fma(a3, m, k);
            a4 = TVector.Fma(a4, m, k); a5 = TVector.Fma(a5, m, k);
            a6 = TVector.Fma(a6, m, k); a7 = TVector.Fma(a7, m, k);
            a8 = TVector.Fma(a8, m, k); a9 = TVector.Fma(a9, m, k);
            a10 = TVector.Fma(a10, m, k); a11 = TVector.Fma(a11, m, k);
        }
        var sum = TVector.Add(TVector.Add(TVector.Add(TVector.Add(a0, a1), TVector.Add(a2, a3)), TVector.Add(TVector.Add(a4, a5), TVector.Add(a6, a7))),
            TVector.Add(TVector.Add(a8, a9), TVector.Add(a10, a11)));
        float* lanes = stackalloc float[16];
        TVector.Store(sum, lanes);
        float total = 0;
        for (int i = 0; i < TVector.Count; i++) total += lanes[i];
        return total;
    }
}
