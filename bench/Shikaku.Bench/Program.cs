using System.Diagnostics;
using Shikaku.Kernels;

namespace Shikaku.Bench;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine($"simd={Engine.Simd} threads={Engine.Threads}");
        if (args.Length > 0 && args[0] == "kernel") { KernelOnly(); return 0; }
        Console.WriteLine($"peak={FmaPeak.MeasureGflops(Engine.Threads):F1} GFLOPS");
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            var rng = new Random(1);
            var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
            for (int i = 0; i < a.Length; i++) { a[i] = rng.NextSingle(); b[i] = rng.NextSingle(); }
            Sgemm.Multiply(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
            double best = double.MaxValue;
            int reps = Math.Max(3, (int)(2e9 / (2.0 * n * n * n)));
            for (int r = 0; r < reps; r++)
            {
                var sw = Stopwatch.StartNew();
                Sgemm.Multiply(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"sgemm {n}: {2.0 * n * n * n / best / 1e9:F1} GFLOPS");
        }
        return 0;
    }

    private static unsafe void KernelOnly()
    {
        int kc = 256;
        float* a = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(12 * kc * 4 * 16), 64);
        float* b = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(32 * kc * 4), 64);
        float* c = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(12 * 32 * 4, 64);
        for (int i = 0; i < 12 * kc * 16; i++) a[i] = 0.001f;
        for (int i = 0; i < 32 * kc; i++) b[i] = 0.001f;
        for (int rep = 0; rep < 5; rep++)
        {
            var sw = Stopwatch.StartNew();
            long iters = 100000;
            for (long r = 0; r < iters; r++) Shikaku.Kernels.Gemm.MicroKernelAvx512.Run(kc, a + (r & 15) * 12 * kc, b, c, 32, 1, 0);
            Console.WriteLine($"kernel: {2.0 * 12 * 32 * kc * iters / sw.Elapsed.TotalSeconds / 1e9:F1} GFLOPS");
        }
    }
}
