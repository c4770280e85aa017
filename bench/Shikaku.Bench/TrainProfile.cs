using System.Diagnostics;
using Shikaku.Tensors;

namespace Shikaku.Bench;

/// <summary>Milliseconds per layer, forward and backward, for one batch of the lecture CNN (where training time goes).</summary>
internal static class TrainProfile
{
    public static void Run(int batch = 128, int reps = 10, bool inference = false)
    {
        var layers = Shikaku.NN.Models.LectureCnn().Layers.ToArray();
        var fwd = new double[layers.Length];
        var bwd = new double[layers.Length];
        for (int r = 0; r < reps + 1; r++)
        {
            var acts = new List<Tensor> { Tensor.Full(new Shape(batch, 28, 28, 1), 0.5f) };
            for (int i = 0; i < layers.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                acts.Add(layers[i].Forward(acts[^1], !inference));
                if (r > 0) fwd[i] += sw.Elapsed.TotalMilliseconds;
            }
            Tensor? g = Tensor.Full(acts[^1].Shape, 0.01f);
            for (int i = layers.Length - 1; i >= 0 && !inference; i--)
            {
                var sw = Stopwatch.StartNew();
                var next = layers[i].Backward(g!, i > 0);
                if (r > 0) bwd[i] += sw.Elapsed.TotalMilliseconds;
                g?.Dispose();
                g = next;
            }
            foreach (var a in acts) a.Dispose();
        }
        for (int i = 0; i < layers.Length; i++)
            Console.WriteLine($"{layers[i].TypeName,-14} forward {fwd[i] / reps,7:0.00} ms   backward {bwd[i] / reps,7:0.00} ms");
        Console.WriteLine($"total          forward {fwd.Sum() / reps,7:0.00} ms   backward {bwd.Sum() / reps,7:0.00} ms");
    }
}

internal static unsafe class Im2ColProfile
{
    public static void Run()
    {
        var g = new Shikaku.Kernels.ConvGeometry(26, 26, 3, 3, 1, 1, 1, 1, Shikaku.Kernels.Padding.Valid);
        int n = 128, c = 32, k = 288, m = n * 24 * 24;
        var x = new float[n * 26 * 26 * c];
        var cols = new float[(long)m * k];
        fixed (float* px = x, pc = cols)
        {
            float* a = px, b = pc;
            for (int r = 0; r < 3; r++)
            {
                var sw = Stopwatch.StartNew();
                Shikaku.Kernels.Conv.Im2Col.Gather(a, n, 26, 26, c, g, b);
                double t1 = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                Shikaku.Kernels.Conv.Im2Col.Scatter(b, n, 26, 26, c, g, a);
                Console.WriteLine($"gather {t1:0.0} ms, scatter {sw.Elapsed.TotalMilliseconds:0.0} ms");
            }
        }
    }
}
