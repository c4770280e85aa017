using System.Diagnostics;
using Shikaku.Tensors;

namespace Shikaku.Bench;

/// <summary>Milliseconds per layer, forward and backward, for one batch of the lecture CNN (where training time goes).</summary>
internal static class TrainProfile
{
    public static void Run(int batch = 128, int reps = 10, bool inference = false, int warmup = 1)
    {
        var layers = Shikaku.NN.Models.LectureCnn().Layers.ToArray();
        var fwd = new double[layers.Length];
        var bwd = new double[layers.Length];
        for (int r = 1 - warmup; r < reps + 1; r++)
        {
            var acts = new List<Tensor> { Tensor.Full(new Shape(batch, 28, 28, 1), 0.5f) };
            using var tape = inference ? null : new Shikaku.NN.Tape();
            for (int i = 0; i < layers.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                acts.Add(layers[i].Forward(acts[^1], tape));
                if (r > 0) fwd[i] += sw.Elapsed.TotalMilliseconds;
            }
            Tensor? g = Tensor.Full(acts[^1].Shape, 0.01f);
            for (int i = layers.Length - 1; i >= 0 && !inference; i--)
            {
                var sw = Stopwatch.StartNew();
                var next = layers[i].Backward(g!, tape!, i > 0);
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

/// <summary>The steps of a lecture CNN convolution's backward pass (batch 128, 3x3 valid), timed one by one.</summary>
internal static unsafe class ConvBackwardProfile
{
    public static void Run(int h, int w, int c, int cout, int reps = 20)
    {
        int n = 128;
        Console.WriteLine($"# backward of 3x3 conv {h}x{w}x{c} -> {cout} channels, batch {n}");
        var g = new Shikaku.Kernels.ConvGeometry(h, w, 3, 3, 1, 1, 1, 1, Shikaku.Kernels.Padding.Valid);
        int oh = h - 2, ow = w - 2, m = n * oh * ow, k = 9 * c;
        var rng = new Random(1);
        using var x = Tensor.Uninitialized(new Shape(n, h, w, c));
        foreach (ref float v in x.Span) v = rng.NextSingle();
        using var kernel = Tensor.Uninitialized(new Shape(3, 3, c, cout));
        foreach (ref float v in kernel.Span) v = rng.NextSingle() - 0.5f;
        using var dy = Tensor.Uninitialized(new Shape(n, oh, ow, cout));
        foreach (ref float v in dy.Span) v = rng.NextSingle() - 0.5f;
        using var y = Shikaku.Kernels.Convolution.Conv2D(x, kernel, null, new Shikaku.Kernels.ConvOptions { Activation = Shikaku.Kernels.Activation.Relu });
        using var cols = Tensor.Uninitialized(new Shape(m, k));
        using var dw = Tensor.Zeros(3, 3, c, cout);
        using var db = Tensor.Zeros(cout);
        using var dx = Tensor.Uninitialized(x.Shape);
        using var flippedKernel = Tensor.Uninitialized(new Shape(3, 3, cout, c));
        var steps = new (string Name, Action Run)[]
        {
            ("relu backward", () => Shikaku.Kernels.Activation.Relu.Backward(y.Span, dy.Span)),
            ("im2col gather", () => { fixed (float* px = x.Span, pc = cols.Span) Shikaku.Kernels.Conv.Im2Col.Gather(px, n, h, w, c, g, pc); }),
            ("bias grad", () => Shikaku.Kernels.Sgemm.AddColumnSums(dy.Span, cout, db.Span)),
            ("dP = dy W^T", () => Shikaku.Kernels.Sgemm.Multiply(false, true, m, k, cout, 1f, dy.Span, cout, kernel.Span, cout, 0f, cols.Span, k)),
            ("col2im scatter", () => { fixed (float* pc = cols.Span, pd = dx.Span) Shikaku.Kernels.Conv.Im2Col.Scatter(pc, n, h, w, c, g, pd); }),
            ("dx as conv", () => Shikaku.Kernels.Convolution.Conv2D(dy, flippedKernel, null, new Shikaku.Kernels.ConvOptions { Padding = Shikaku.Kernels.Padding.Explicit(2) }).Dispose()),
            ("dW", () => { fixed (float* px = x.Span, pd = dy.Span, pw = dw.Span) Shikaku.Kernels.Conv.DirectWeightGradient.Run(px, n, h, w, c, pd, cout, g, pw); }),
            ("whole backward", () => Shikaku.Kernels.Convolution.Conv2DBackward(x, kernel, dy, Shikaku.Kernels.ConvOptions.Default, dw, db)?.Dispose()),
        };
        foreach (var (name, run) in steps)
        {
            for (int i = 0; i < 3; i++) run();
            double best = double.MaxValue;
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                run();
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"{name,-16} {best,7:0.00} ms");
        }
    }
}

/// <summary>
/// The lecture CNN's conv2 forward and its dx convolution timed on average, with warm caches and with the
/// caches flushed before each call (as in training, where other layers run in between).
/// </summary>
internal static class ConvCold
{
    public static void Run(int reps = 20)
    {
        var rng = new Random(2);
        using var x = Tensor.Uninitialized(new Shape(128, 26, 26, 32));
        foreach (ref float v in x.Span) v = rng.NextSingle();
        using var kernel = Tensor.Uninitialized(new Shape(3, 3, 32, 64));
        foreach (ref float v in kernel.Span) v = rng.NextSingle() - 0.5f;
        using var dy = Tensor.Uninitialized(new Shape(128, 24, 24, 64));
        foreach (ref float v in dy.Span) v = rng.NextSingle() - 0.5f;
        using var flipped = Tensor.Uninitialized(new Shape(3, 3, 64, 32));
        foreach (ref float v in flipped.Span) v = rng.NextSingle() - 0.5f;
        var flush = new float[128 << 20];
        var argmax = new byte[128 * 12 * 12 * 64];
        using var pooled = Shikaku.Kernels.Convolution.Conv2DMaxPool2x2(x, kernel, null, new Shikaku.Kernels.ConvOptions { Activation = Shikaku.Kernels.Activation.Relu }, argmax);
        using var pooledGrad = Tensor.Full(pooled.Shape, 0.5f);
        var relu = new Shikaku.Kernels.ConvOptions { Activation = Shikaku.Kernels.Activation.Relu };
        var full = new Shikaku.Kernels.ConvOptions { Padding = Shikaku.Kernels.Padding.Explicit(2) };
        foreach (var (name, flops, run) in new (string, double, Action)[]
        {
            ("conv2 forward", 2.0 * 128 * 24 * 24 * 64 * 288, () => Shikaku.Kernels.Convolution.Conv2D(x, kernel, null, relu).Dispose()),
            ("conv2+pool", 2.0 * 128 * 24 * 24 * 64 * 288, () => Shikaku.Kernels.Convolution.Conv2DMaxPool2x2(x, kernel, null, relu).Dispose()),
            ("conv2+pool+taps", 2.0 * 128 * 24 * 24 * 64 * 288, () => Shikaku.Kernels.Convolution.Conv2DMaxPool2x2(x, kernel, null, relu, argmax).Dispose()),
            ("conv2 dx", 2.0 * 128 * 26 * 26 * 32 * 576, () => Shikaku.Kernels.Convolution.Conv2D(dy, flipped, null, full).Dispose()),
            ("pool backward", 0, () => Shikaku.Kernels.Pooling.MaxPool2x2BackwardFromArgmax(dy.Shape, pooled, argmax, pooledGrad, true).Dispose()),
        })
        {
            foreach (bool cold in new[] { false, true })
            {
                run();
                double total = 0;
                for (int r = 0; r < reps; r++)
                {
                    if (cold) for (int i = 0; i < flush.Length; i += 16) flush[i] += 1;
                    var sw = Stopwatch.StartNew();
                    run();
                    total += sw.Elapsed.TotalSeconds;
                }
                Console.WriteLine($"{name,-14} {(cold ? "cold" : "warm")} {total / reps * 1e3,7:0.00} ms  {flops / (total / reps) / 1e9,6:0} GFLOPS");
            }
        }
    }
}
