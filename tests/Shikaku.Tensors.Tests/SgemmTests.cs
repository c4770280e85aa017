using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

public class SgemmTests
{
    [Fact]
    public void RandomShapesMatchReferenceOnEverySimdLevelAndTransposition()
    {
        SimdLevels.Trials(new Random(42), 24, (rng, level, trial) =>
        {
            // Odd sizes, sizes around the tile edges, and a few past the cache blocks (k > KC, m > MC).
            int m = trial % 6 == 0 ? 200 + rng.Next(80) : 1 + rng.Next(40);
            int n = trial % 7 == 0 ? 70 + rng.Next(60) : 1 + rng.Next(40);
            int k = trial % 5 == 0 ? 260 + rng.Next(300) : 1 + rng.Next(40);
            bool ta = rng.Next(2) == 1, tb = rng.Next(2) == 1;
            float alpha = trial % 3 == 0 ? 0.5f : 1f, beta = trial % 4 == 0 ? 0.25f : 0f;
            int lda = (ta ? m : k) + rng.Next(3), ldb = (tb ? k : n) + rng.Next(3), ldc = n + rng.Next(3);
            var a = Reference.Random(rng, (ta ? k : m) * lda);
            var b = Reference.Random(rng, (tb ? n : k) * ldb);
            var c = Reference.Random(rng, m * ldc);
            var expected = Reference.Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            var actual = (float[])c.Clone();
            Sgemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, actual, ldc);
            // Padding columns of C (j >= n) must be untouched.
            Reference.AssertClose(expected, actual, 1e-4f, $"{level} m={m} n={n} k={k} ta={ta} tb={tb} alpha={alpha} beta={beta}");
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LargeProductIsTheSameWithOneOrTwoThreads(int threads)
    {
        var rng = new Random(7);
        int m = 300, n = 517, k = 600;
        var (a, b) = Reference.Product(rng, m, n, k);
        var expected = Reference.Gemm(false, false, m, n, k, 1, a, k, b, n, 0, new float[m * n], n);
        EngineThreads.With(threads, () =>
        {
            var c = new float[m * n];
            Sgemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
            Reference.AssertClose(expected, c, 1e-4f, $"threads={threads}");
        });
    }

    [Fact]
    public void WideProductsPackingRowsOnceForAllColumnBlocksMatchReference()
    {
        // More columns than one packed B panel (NC), more rows than one packed A block (MC) with a
        // ragged last one, several depth blocks: A is packed once per depth block and reused across the
        // column blocks. With alpha, beta, a fused and an unfused epilogue, on every SIMD level, one thread.
        var rng = new Random(11);
        int m = 205, n = 1100, k = 700;
        var (a, b) = Reference.Product(rng, m, n, k);
        var c0 = Reference.Random(rng, m * n);
        var bias = Reference.Random(rng, n);
        EngineThreads.With(1, () => SimdLevels.ForEach(level =>
        {
            foreach (var act in new[] { Activation.Linear, Activation.Relu, Activation.Sigmoid })
            {
                bool ta = act.Kind == ActivationKind.Relu;
                var aa = ta ? Transpose(a, m, k) : a;
                var plain = Reference.Gemm(ta, false, m, n, k, 0.5f, aa, ta ? m : k, b, n, 0.25f, c0, n);
                var expected = new float[m * n];
                for (int i = 0; i < m * n; i++)
                    expected[i] = act.Kind == ActivationKind.Linear ? plain[i] : Reference.Activate(plain[i] + bias[i % n], act);
                var c = (float[])c0.Clone();
                Sgemm.Multiply(ta, false, m, n, k, 0.5f, aa, ta ? m : k, b, n, 0.25f, c, n,
                    act.Kind == ActivationKind.Linear ? null : bias, act);
                Reference.AssertClose(expected, c, 2e-4f, $"{level} {act} ta={ta}");
            }
        }));
    }

    [Fact]
    public void EmptyDepthScalesCAndAppliesTheEpilogue()
    {
        var rng = new Random(5);
        int m = 30, n = 600;
        var c0 = Reference.Random(rng, m * n);
        var bias = Reference.Random(rng, n);
        var c = (float[])c0.Clone();
        Sgemm.Multiply(false, false, m, n, 0, 1, [], 1, [], n, 0.5f, c, n, bias, Activation.Relu);
        var expected = new float[m * n];
        for (int i = 0; i < m * n; i++) expected[i] = MathF.Max(0f, 0.5f * c0[i] + bias[i % n]);
        Reference.AssertClose(expected, c, 1e-6f, "k = 0");
    }

    private static float[] Transpose(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    [Fact]
    public void FusedBiasAndActivationMatchSeparateSteps()
    {
        var rng = new Random(3);
        int m = 37, n = 45, k = 29;
        var (a, b) = Reference.Product(rng, m, n, k);
        var bias = Reference.Random(rng, n);
        // Every SIMD level: the fused tail runs inside each width's micro-kernel, on full tiles and on the edges.
        SimdLevels.ForEach(level =>
        {
            foreach (var act in new[] { Activation.Relu, Activation.Relu6, Activation.LeakyRelu(0.1f), Activation.Sigmoid, Activation.Tanh })
            {
                var plain = Reference.Gemm(false, false, m, n, k, 1, a, k, b, n, 0, new float[m * n], n);
                var expected = new float[m * n];
                for (int i = 0; i < m * n; i++) expected[i] = Reference.Activate(plain[i] + bias[i % n], act);
                var c = new float[m * n];
                Sgemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, c, n, bias, act);
                Reference.AssertClose(expected, c, 1e-4f, $"{level} {act}");
            }
        });
    }

    [Fact]
    public void MatMulOfTensorsChecksShapes()
    {
        using var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        using var b = Tensor.FromArray([1, 0, 0, 1, 1, 1], 3, 2);
        using var c = Sgemm.MatMul(a, b);
        Assert.Equal([4f, 5f, 10f, 11f], c.ToArray());
        var error = Assert.Throws<ArgumentException>(() => Sgemm.MatMul(a, a));
        Assert.Contains("inner dimensions differ", error.Message);
    }

    [Fact]
    public void TooShortBuffersAreRejectedWithTheSizes()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Sgemm.Multiply(false, false, 4, 4, 4, 1, new float[15], 4, new float[16], 4, 0, new float[16], 4));
        Assert.Contains("15", error.Message);
    }
}
