using Shikaku.Kernels;

namespace Shikaku.Tests;

/// <summary>
/// Naive reference implementations, written straight from the definitions (double accumulation,
/// no blocking, no vectors), that the fast kernels are checked against.
/// </summary>
internal static class Reference
{
    public static float[] Gemm(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var r = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                r[i * ldc + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]));
            }
        return r;
    }

    /// <summary>Grouped NHWC convolution, HWIO weights, padding by bounds checks.</summary>
    public static float[] Conv2D(float[] x, int n, int h, int w, int c, float[] k, int kh, int kw, int cout, float[]? bias,
        ConvGeometry g, int groups, Activation act, BorderMode border = BorderMode.Zero)
    {
        int cg = c / groups, coutg = cout / groups;
        var y = new float[n * g.OutH * g.OutW * cout];
        for (int b = 0; b < n; b++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                    for (int co = 0; co < cout; co++)
                    {
                        int grp = co / coutg;
                        double s = bias?[co] ?? 0;
                        for (int i = 0; i < kh; i++)
                            for (int j = 0; j < kw; j++)
                            {
                                int ih = Border.Map(oh * g.StrideH - g.PadTop + i * g.DilationH, h, border);
                                int iw = Border.Map(ow * g.StrideW - g.PadLeft + j * g.DilationW, w, border);
                                if (ih < 0 || iw < 0) continue;
                                for (int ci = 0; ci < cg; ci++)
                                    s += (double)x[((b * h + ih) * w + iw) * c + grp * cg + ci] * k[((i * kw + j) * cg + ci) * cout + co];
                            }
                        y[((b * g.OutH + oh) * g.OutW + ow) * cout + co] = Activate((float)s, act);
                    }
        return y;
    }

    public static float[] Pool(float[] x, int n, int h, int w, int c, ConvGeometry g, bool max)
    {
        var y = new float[n * g.OutH * g.OutW * c];
        for (int b = 0; b < n; b++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double acc = max ? double.NegativeInfinity : 0;
                        int count = 0;
                        for (int i = 0; i < g.KH; i++)
                            for (int j = 0; j < g.KW; j++)
                            {
                                int ih = g.InputRow(oh, i), iw = g.InputCol(ow, j);
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                float v = x[((b * h + ih) * w + iw) * c + ch];
                                acc = max ? Math.Max(acc, v) : acc + v;
                                count++;
                            }
                        y[((b * g.OutH + oh) * g.OutW + ow) * c + ch] = count == 0 ? 0f : (float)(max ? acc : acc / count);
                    }
        return y;
    }

    public static float Activate(float v, Activation a) => a.Kind switch
    {
        ActivationKind.Relu => Math.Max(v, 0),
        ActivationKind.Relu6 => Math.Min(Math.Max(v, 0), 6),
        ActivationKind.LeakyRelu => v > 0 ? v : a.Alpha * v,
        ActivationKind.Sigmoid => (float)(1 / (1 + Math.Exp(-v))),
        ActivationKind.Tanh => (float)Math.Tanh(v),
        _ => v,
    };

    public static float[] Random(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = rng.NextSingle() * 2 - 1;
        return a;
    }

    /// <summary>Random operands of an m x k by k x n product (A drawn first, then B).</summary>
    public static (float[] A, float[] B) Product(Random rng, int m, int n, int k) => (Random(rng, m * k), Random(rng, k * n));

    /// <summary>Asserts |expected - actual| &lt;= tol * (1 + |expected|) elementwise, naming the first bad index.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol, string context)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (!(Math.Abs(e - a) <= tol * (1 + Math.Abs(e))))
                Assert.Fail($"{context}: element {i} is {a}, expected {e}");
        }
    }
}

/// <summary>Runs a test body once per SIMD level this CPU has, restoring the setting afterwards.</summary>
internal static class SimdLevels
{
    public static IEnumerable<SimdLevel> Available()
    {
        foreach (var level in Enum.GetValues<SimdLevel>())
            if (level <= Engine.Hardware) yield return level;
    }

    public static void ForEach(Action<SimdLevel> body)
    {
        foreach (var level in Available())
            using (Engine.Use(maxSimd: level))
                body(level);
    }

    /// <summary>
    /// Random trials on every SIMD level: <paramref name="trials"/> calls per level with the trial's number,
    /// all drawing from one generator (each level sees new shapes).
    /// </summary>
    public static void Trials(Random rng, int trials, Action<Random, SimdLevel, int> body) => ForEach(level =>
    {
        for (int trial = 0; trial < trials; trial++) body(rng, level, trial);
    });
}

/// <summary>Runs a test body with the engine on a given number of threads, restoring the setting afterwards.</summary>
internal static class EngineThreads
{
    public static void With(int threads, Action body)
    {
        using (Engine.Use(threads: threads))
            body();
    }
}
