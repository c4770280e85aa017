using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Tests;

public class ResampleTests
{
    // Naive TF legacy bilinear (align_corners = false, half_pixel_centers = false), from the definition.
    private static float[] AsymmetricReference(float[] x, int h, int w, int c, int oh, int ow)
    {
        var y = new float[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                for (int ch = 0; ch < c; ch++)
                {
                    double sy = oy * ((double)h / oh), sx = ox * ((double)w / ow);
                    int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
                    int y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
                    double fy = sy - y0, fx = sx - x0;
                    double P(int yy, int xx) => x[(yy * w + xx) * c + ch];
                    double top = P(y0, x0) + (P(y0, x1) - P(y0, x0)) * fx, bottom = P(y1, x0) + (P(y1, x1) - P(y1, x0)) * fx;
                    y[(oy * ow + ox) * c + ch] = (float)(top + (bottom - top) * fy);
                }
        return y;
    }

    [Fact]
    public void Asymmetric_bilinear_matches_tensorflows_documented_example()
    {
        // tfjs-core's resize_bilinear test: [[2, 2], [4, 4]] to 3x3 with alignCorners = false.
        using var x = Tensor.FromArray([2f, 2f, 4f, 4f], 1, 2, 2, 1);
        using var y = Resample.Resize(x, 3, 3, ResizeMode.BilinearAsymmetric);
        Reference.AssertClose([2, 2, 2, 10 / 3f, 10 / 3f, 10 / 3f, 4, 4, 4], y.Span, 1e-6f, "3x3");
    }

    [Fact]
    public void Zero_padded_resize_equals_padding_then_resizing()
    {
        var rng = new Random(7);
        foreach (var (h, w, top, left, ph, pw, oh, ow) in new[] { (5, 9, 2, 0, 9, 9, 4, 4), (9, 5, 0, 4, 9, 9, 7, 7), (6, 6, 1, 1, 8, 8, 16, 16), (3, 7, 0, 0, 7, 7, 112, 112) })
        {
            var data = Reference.Random(rng, h * w * 2);
            using var x = Tensor.FromArray(data, 1, h, w, 2);
            using var padded = Resample.Pad(x, top, ph - h - top, left, pw - w - left);
            var expected = AsymmetricReference(padded.ToArray(), ph, pw, 2, oh, ow);
            using var y = Resample.ResizeZeroPadded(x, top, left, ph, pw, oh, ow);
            Reference.AssertClose(expected, y.Span, 1e-5f, $"{h}x{w} at ({top},{left}) in {ph}x{pw} -> {oh}x{ow}");
        }
        using var small = Tensor.Zeros(1, 4, 4, 1);
        Assert.Throws<ArgumentException>(() => Resample.ResizeZeroPadded(small, 1, 0, 4, 4, 2, 2));
    }

    [Fact]
    public void Half_pixel_bilinear_area_and_nearest_keep_constants_and_average_blocks()
    {
        using var constant = Tensor.Full(new Shape(1, 7, 5, 3), 0.75f);
        foreach (var mode in new[] { ResizeMode.Bilinear, ResizeMode.Area, ResizeMode.Nearest, ResizeMode.BilinearAsymmetric })
        {
            using var y = Resample.Resize(constant, 3, 11, mode);
            Assert.All(y.ToArray(), v => Assert.Equal(0.75f, v, 5));
        }
        using var x = Tensor.FromArray([1f, 3f, 5f, 7f], 1, 2, 2, 1);
        using var area = Resample.Resize(x, 1, 1, ResizeMode.Area);
        Assert.Equal(4f, area.Span[0], 5);
        using var nearest = Resample.Resize(x, 4, 4, ResizeMode.Nearest);
        Assert.Equal([1f, 1f, 3f, 3f], nearest.ToArray()[..4]);
    }
}
