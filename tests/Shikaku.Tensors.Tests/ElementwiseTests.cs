using Shikaku.Kernels;

namespace Shikaku.Tests;

public class ElementwiseTests
{
    [Theory]
    [InlineData(7, 32)]       // small: one pass
    [InlineData(10000, 32)]   // large: row blocks on the threads, sums in registers
    [InlineData(9000, 37)]    // large, a width that is not a whole number of vectors
    [InlineData(3000, 128)]   // wider than the register path
    public void ColumnSumsAddToWhatIsThere(int rows, int width)
    {
        var rng = new Random(rows + width);
        var x = Reference.Random(rng, rows * width);
        var sums = Enumerable.Range(0, width).Select(i => (float)i).ToArray();
        var expected = new float[width];
        for (int j = 0; j < width; j++)
        {
            double s = j;
            for (int r = 0; r < rows; r++) s += x[r * width + j];
            expected[j] = (float)s;
        }
        Sgemm.AddColumnSums(x, width, sums);
        Reference.AssertClose(expected, sums, 1e-3f, $"column sums {rows}x{width}");
    }

    [Fact]
    public void ReluGradientOfALargeTensorKeepsOnlyPositiveOutputs()
    {
        var rng = new Random(8);
        var y = Enumerable.Range(0, 200_003).Select(_ => rng.Next(3) == 0 ? 0f : rng.NextSingle() - 0.5f).ToArray();
        var g = Reference.Random(rng, y.Length);
        var expected = g.Select((v, i) => y[i] > 0 ? v : 0f).ToArray();
        Activation.Relu.Backward(y, g);
        Assert.Equal(expected, g);
    }

    [Fact]
    public void AdamUpdateMatchesItsFormulaElementByElement()
    {
        var rng = new Random(9);
        int n = 70_001; // several blocks and a scalar tail
        var w = Reference.Random(rng, n);
        var g = Reference.Random(rng, n);
        var m = Reference.Random(rng, n);
        var v = Reference.Random(rng, n).Select(Math.Abs).ToArray();
        var (w0, m0, v0) = ((float[])w.Clone(), (float[])m.Clone(), (float[])v.Clone());
        OptimizerOps.Adam(w, g, m, v, 0.01f, 0.9f, 0.999f, 1e-7f);
        for (int i = 0; i < n; i++)
        {
            double mi = 0.9 * m0[i] + 0.1 * g[i], vi = 0.999 * v0[i] + 0.001 * g[i] * g[i];
            Assert.Equal(mi, m[i], 1e-6);
            Assert.Equal(vi, v[i], 1e-6);
            Assert.Equal(w0[i] - 0.01 * mi / (Math.Sqrt(vi) + 1e-7), w[i], 1e-5);
        }
    }

    [Fact]
    public void SoftmaxIsStableForLargeLogitsAndSumsToOnePerRow()
    {
        float[] x = [1000f, 1001f, -1000f, -1001f, 0f, 0f];
        var y = new float[6];
        ElementwiseOps.Softmax(x, y, 2);
        Assert.Equal(0.2689f, y[0], 3);
        Assert.Equal(0.7311f, y[1], 3);
        Assert.Equal(0.7311f, y[2], 3);
        Assert.Equal(0.5f, y[4], 5);
        Assert.Throws<ArgumentException>(() => ElementwiseOps.Softmax(x, y, 4));
    }

    [Fact]
    public void ActivationsMatchTheirDefinitions()
    {
        float[] x = [-2f, -0.5f, 0f, 0.5f, 7f];
        foreach (var act in new[] { Activation.Relu, Activation.Relu6, Activation.LeakyRelu(0.2f), Activation.LeakyRelu(1.5f), Activation.Sigmoid, Activation.Tanh })
        {
            var y = (float[])x.Clone();
            ElementwiseOps.Activate(y, act);
            for (int i = 0; i < x.Length; i++) Assert.Equal(Reference.Activate(x[i], act), y[i], 5);
        }
        Assert.Equal(Activation.LeakyRelu(0.1f), Activation.Parse("leaky_relu:0.1"));
        Assert.Throws<FormatException>(() => Activation.Parse("swishy"));
    }
}
