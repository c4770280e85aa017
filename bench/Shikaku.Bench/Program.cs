using System.Diagnostics;
using Shikaku.Kernels;

namespace Shikaku.Bench;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine($"simd={Engine.Simd} threads={Engine.Threads}");
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
}
