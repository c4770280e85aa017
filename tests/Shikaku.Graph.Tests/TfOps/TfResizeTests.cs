using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>
/// ResizeBilinear and ResizeNearestNeighbor against references written from TF.js's CPU kernels (the models' reference
/// runtime): every combination of align_corners and half_pixel_centers, up and down.
/// </summary>
public class TfResizeTests
{
    private static double Ratio(int input, int output, bool alignCorners) =>
        alignCorners && output > 1 ? (input - 1.0) / (output - 1) : (double)input / output;

    private static Nd Bilinear(Nd x, int oh, int ow, bool alignCorners, bool halfPixel)
    {
        int h = x.Shape[1], w = x.Shape[2];
        double ry = Ratio(h, oh, alignCorners), rx = Ratio(w, ow, alignCorners);
        (int Lo, int Hi, double Frac) Source(int o, double ratio, int size)
        {
            double s = halfPixel ? ratio * (o + 0.5) - 0.5 : ratio * o;
            int lo = Math.Max(0, (int)Math.Floor(s));
            return (lo, Math.Min(size - 1, (int)Math.Ceiling(s)), s - lo);
        }
        return Nd.Build([x.Shape[0], oh, ow, x.Shape[3]], i =>
        {
            var (y0, y1, fy) = Source(i[1], ry, h);
            var (x0, x1, fx) = Source(i[2], rx, w);
            double tl = x[i[0], y0, x0, i[3]], tr = x[i[0], y0, x1, i[3]], bl = x[i[0], y1, x0, i[3]], br = x[i[0], y1, x1, i[3]];
            double top = tl + (tr - tl) * fx, bottom = bl + (br - bl) * fx;
            return top + (bottom - top) * fy;
        });
    }

    private static Nd Nearest(Nd x, int oh, int ow, bool alignCorners, bool halfPixel)
    {
        int h = x.Shape[1], w = x.Shape[2];
        double ry = Ratio(h, oh, alignCorners), rx = Ratio(w, ow, alignCorners);
        int Source(int o, double ratio, int size)
        {
            double s = halfPixel ? ratio * (o + 0.5) : ratio * o;
            int n = Math.Min(size - 1, alignCorners ? (int)Math.Round(s, MidpointRounding.AwayFromZero) : (int)Math.Floor(s));
            return halfPixel ? Math.Max(0, n) : n;
        }
        return Nd.Build([x.Shape[0], oh, ow, x.Shape[3]], i => x[i[0], Source(i[1], ry, h), Source(i[2], rx, w), i[3]]);
    }

    public static TheoryData<bool, bool, bool> Modes() => new()
    {
        { true, false, false }, { true, true, false }, { true, false, true },
        { false, false, false }, { false, true, false }, { false, false, true },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void ResizeComputesTFsCoordinates(bool bilinear, bool alignCorners, bool halfPixel)
    {
        var rng = new Random((bilinear ? 1 : 2) + (alignCorners ? 4 : 0) + (halfPixel ? 8 : 0));
        // 3 channels (an image: a scalar loop per pixel) and 16 (a feature map: vector loops over the channels).
        foreach (var (h, w, oh, ow, channels) in new[] { (4, 4, 8, 8, 3), (5, 3, 13, 7, 16), (8, 6, 3, 4, 3), (1, 1, 3, 2, 16), (6, 5, 1, 1, 3), (7, 7, 7, 7, 16), (9, 4, 5, 11, 16) })
        {
            var x = Nd.Random(rng, DType.Float32, 2, h, w, channels);
            var expected = bilinear ? Bilinear(x, oh, ow, alignCorners, halfPixel) : Nearest(x, oh, ow, alignCorners, halfPixel);
            var attributes = new Attributes { ["align_corners"] = alignCorners, ["half_pixel_centers"] = halfPixel };
            var size = Nd.Vector(oh, ow);
            Same(expected, Run(bilinear ? "ResizeBilinear" : "ResizeNearestNeighbor", attributes, F(x), h % 2 == 0 ? C(size) : F(size)), 1e-5);
        }
    }

    [Fact]
    public void BothCornerFlagsAreRefusedAndABilinearResizeOfIntegersIsFloat()
    {
        var both = new Attributes { ["align_corners"] = true, ["half_pixel_centers"] = true };
        Assert.Contains("cannot both", Fails("ResizeBilinear", both, F(Nd.Floats([1, 1, 1, 1], 1)), C(Nd.Vector(2, 2))).Message);
        var ints = Nd.Build([1, 2, 2, 1], i => i[1] * 10 + i[2], DType.Int32);
        Same(Bilinear(ints with { DType = DType.Float32 }, 3, 3, false, true), Run("ResizeBilinear", new() { ["half_pixel_centers"] = true }, F(ints), C(Nd.Vector(3, 3))));
    }
}
