using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

public class AffineWarpTests
{
    // Bilinear sampling at (a x + b y + c, d x + e y + f) from the definition, in double.
    private static double[] Naive(float[] src, int n, int h, int w, int c, double[] m, int oh, int ow, BorderMode border, float value)
    {
        var y = new double[n * oh * ow * c];
        double P(int b, int yy, int xx, int ch)
        {
            if (yy < 0 || xx < 0 || yy >= h || xx >= w)
            {
                if (border == BorderMode.Zero) return value;
                if (border == BorderMode.Replicate)
                {
                    yy = Math.Clamp(yy, 0, h - 1);
                    xx = Math.Clamp(xx, 0, w - 1);
                }
                else
                {
                    // Reflect101: mirror about the edge pixels, over and over for far positions.
                    static int Mirror(int i, int n)
                    {
                        if (n == 1) return 0;
                        int period = 2 * (n - 1);
                        i = ((i % period) + period) % period;
                        return i < n ? i : period - i;
                    }
                    yy = Mirror(yy, h);
                    xx = Mirror(xx, w);
                }
            }
            return src[((b * h + yy) * w + xx) * c + ch];
        }
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        double sx = m[0] * ox + m[1] * oy + m[2], sy = m[3] * ox + m[4] * oy + m[5];
                        int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                        double fx = sx - x0, fy = sy - y0;
                        y[((b * oh + oy) * ow + ox) * c + ch] =
                            (1 - fy) * ((1 - fx) * P(b, y0, x0, ch) + fx * P(b, y0, x0 + 1, ch)) + fy * ((1 - fx) * P(b, y0 + 1, x0, ch) + fx * P(b, y0 + 1, x0 + 1, ch));
                    }
        return y;
    }

    [Theory]
    [InlineData(BorderMode.Zero)]
    [InlineData(BorderMode.Reflect101)]
    [InlineData(BorderMode.Replicate)]
    public void WarpMatchesTheNaiveBilinearOnRandomShapesAndMatrices(BorderMode border)
    {
        var rng = new Random((int)border + 5);
        for (int trial = 0; trial < 25; trial++)
        {
            int n = rng.Next(1, 3), h = rng.Next(1, 12), w = rng.Next(1, 12), c = rng.Next(1, 5), oh = rng.Next(1, 12), ow = rng.Next(1, 12);
            var src = Enumerable.Range(0, n * h * w * c).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            double[] m = [.. Enumerable.Range(0, 6).Select(i => (rng.NextDouble() * 2 - 1) * (i % 3 == 2 ? 6 : 1.5))];
            float value = (float)rng.NextDouble();
            using var input = Tensor.FromArray(src, n, h, w, c);
            using var output = AffineWarp.Apply(input, m, oh, ow, border: border, borderValue: value);
            Assert.Equal([n, oh, ow, c], output.Shape.ToArray());
            var expected = Naive(src, n, h, w, c, m, oh, ow, border, value);
            var actual = output.ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.InRange(Math.Abs(actual[i] - expected[i]), 0, 1e-5);
        }
    }

    [Fact]
    public void InputToOutputIsTheInverseMatrixAndIdentityCopies()
    {
        var rng = new Random(7);
        var src = Enumerable.Range(0, 2 * 7 * 9 * 3).Select(_ => (float)rng.NextDouble()).ToArray();
        using var input = Tensor.FromArray(src, 2, 7, 9, 3);
        using (var same = AffineWarp.Apply(input, [1, 0, 0, 0, 1, 0], 7, 9)) Assert.Equal(src, same.ToArray());
        double[] forward = [1.1, 0.2, 1.5, -0.3, 0.9, -0.5];
        double[] inverse = [.. forward];
        AffineWarp.Invert(inverse);
        using var a = AffineWarp.Apply(input, forward, 6, 8, AffineDirection.InputToOutput);
        using var b = AffineWarp.Apply(input, inverse, 6, 8);
        Assert.Equal(b.ToArray(), a.ToArray());
        // Inverse of the inverse is the matrix.
        AffineWarp.Invert(inverse);
        for (int i = 0; i < 6; i++) Assert.Equal(forward[i], inverse[i], 12);
        // A shift by one pixel to the right: output (x, y) = input (x - 1, y), column 0 is the border value.
        using var shifted = AffineWarp.Apply(input, AffineWarp.Rotation(0, 4, 3, 1, 0), 7, 9, borderValue: -1);
        var s = shifted.ToArray();
        Assert.Equal(-1f, s[0]);
        Assert.Equal(src[0], s[3]);
        Assert.Throws<ArgumentException>(() => AffineWarp.Apply(input, [1, 2, 0, 2, 4, 0], 3, 3, AffineDirection.InputToOutput));
    }
}
