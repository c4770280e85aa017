using Shikaku.Kernels;
using Shikaku.Tensors;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Tests;

public class FilterTests
{
    /// <summary>Direct 2-D filtering with a mirrored border, straight from the definition.</summary>
    private static float[] Reference(Tensor x, float[,] k)
    {
        int h = x.Shape[1], w = x.Shape[2], c = x.Shape[3], kh = k.GetLength(0), kw = k.GetLength(1);
        var src = x.Span;
        var y = new float[h * w * c];
        for (int r = 0; r < h; r++)
            for (int col = 0; col < w; col++)
                for (int ch = 0; ch < c; ch++)
                {
                    double s = 0;
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                        {
                            int sr = Border.Map(r + i - (kh - 1) / 2, h, BorderMode.Reflect101);
                            int sc = Border.Map(col + j - (kw - 1) / 2, w, BorderMode.Reflect101);
                            s += k[i, j] * src[(sr * w + sc) * c + ch];
                        }
                    y[(r * w + col) * c + ch] = (float)s;
                }
        return y;
    }

    [Theory]
    [InlineData("box:3")]
    [InlineData("box:4")]
    [InlineData("gaussian:1.5")]
    [InlineData("gaussian:0:5")]
    [InlineData("sharpen")]
    [InlineData("sobel-x")]
    [InlineData("sobel-y")]
    [InlineData("prewitt-x")]
    [InlineData("laplacian")]
    [InlineData("emboss")]
    [InlineData("1 2; 3 4")]
    public void FiltersOnARealPhotoMatchDirectFiltering(string spec)
    {
        var f = FilterKernel.Parse(spec);
        using var x = TestImages.SmallPhoto(61, 37).ToTensor();
        using var y = ImageFilters.Apply(x, f);
        var expected = Reference(x, f.Kernel);
        var actual = y.Span;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-2f, $"{spec}: value {i} is {actual[i]}, expected {expected[i]}");
    }

    [Fact]
    public void SobelMagnitudeCombinesBothGradients()
    {
        using var x = TestImages.SmallPhoto(40, 30).ToTensor();
        using var gx = ImageFilters.Apply(x, FilterKernel.Parse("sobel-x"));
        using var gy = ImageFilters.Apply(x, FilterKernel.Parse("sobel-y"));
        using var mag = ImageFilters.Apply(x, FilterKernel.Parse("sobel"));
        for (int i = 0; i < mag.Length; i++)
            Assert.Equal(MathF.Sqrt(gx.Span[i] * gx.Span[i] + gy.Span[i] * gy.Span[i]), mag.Span[i], 2);
    }

    [Fact]
    public void GaussianWeightsMatchOpenCvsKernel()
    {
        // cv2.getGaussianKernel(5, 0) = [0.0625, 0.25, 0.375, 0.25, 0.0625]
        var f = FilterKernel.Parse("gaussian:0:5");
        Assert.Equal([0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f], f.Row!.Select(v => MathF.Round(v, 4)).ToArray());
        Assert.Equal(17, FilterKernel.Parse("gaussian:2").Row!.Length); // OpenCV's size rule for float images
    }

    [Fact]
    public void BlurKeepsAFlatImageFlat()
    {
        var flat = new Image(20, 10, 3, Enumerable.Repeat((byte)77, 600).ToArray());
        foreach (string spec in new[] { "box:5", "gaussian:2" })
            Assert.All(ImageFilters.Apply(flat, FilterKernel.Parse(spec)).Pixels, p => Assert.Equal(77, p));
    }

    [Theory]
    [InlineData("wobble", "unknown filter")]
    [InlineData("gaussian:abc", "not a number")]
    [InlineData("gaussian:1:4", "must be odd")]
    [InlineData("1 2; 3", "not rectangular")]
    [InlineData("1 two", "'two' is not a number")]
    // Kernels over the size limit, or empty, are refused the same way.
    [InlineData("box:256", "the box size 256 is over the limit of 255")]
    [InlineData("box:20000", "the box size 20000 is over the limit of 255")]
    [InlineData("gaussian:40", "sigma 40 needs a 321-tap kernel, over the limit of 255")]
    [InlineData("gaussian:1e30", "over the limit of 255")]
    [InlineData("gaussian:1:301", "the size 301 is over the limit of 255")]
    [InlineData("gaussian:1:-3", "the size -3 must be a positive odd number")]
    [InlineData("", "the kernel is empty")]
    [InlineData(" ; ", "the kernel is empty")]
    [InlineData(";;", "the kernel is empty")]
    public void BadFilterTextIsExplained(string spec, string expected)
    {
        var e = Assert.Throws<FormatException>(() => FilterKernel.Parse(spec));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void PoolingAnImageShrinksIt()
    {
        var img = TestImages.SmallPhoto(64, 48);
        var max = ImageFilters.Pool(img, 4, max: true);
        var avg = ImageFilters.Pool(img, 4, max: false);
        Assert.Equal((16, 12), (max.Width, max.Height));
        for (int i = 0; i < max.Pixels.Length; i++) Assert.True(max.Pixels[i] >= avg.Pixels[i]);
        Assert.Throws<ArgumentException>(() => ImageFilters.Pool(img, 100, true));
    }

    [Fact]
    public void ResizeAreaAveragesAndBilinearInterpolates()
    {
        var img = new Image(4, 2, 1, [0, 100, 200, 100, 0, 100, 200, 100]);
        Assert.Equal([50, 150], img.Resize(2, 1, ResizeMode.Area).Pixels);
        var up = new Image(2, 1, 1, [0, 100]).Resize(4, 1, ResizeMode.Bilinear);
        Assert.Equal([0, 25, 75, 100], up.Pixels); // half-pixel centres, as OpenCV
        Assert.Equal([20, 200], new Image(3, 2, 1, [10, 20, 30, 100, 200, 255]).Crop(1, 0, 1, 2).Pixels);
    }

    /// <summary>The whole image as one tensor: what Apply(Image) computed before it worked in strips.</summary>
    private static byte[] WholeImage(Image image, FilterKernel f)
    {
        using var x = image.ToTensor();
        using var y = ImageFilters.Apply(x, f);
        ImageFilters.ToDisplay(y.Span, f);
        return Image.FromTensor(y).Pixels;
    }

    private static Image RandomImage(int width, int height, int channels, int seed)
    {
        var pixels = new byte[width * height * channels];
        new Random(seed).NextBytes(pixels);
        return new Image(width, height, channels, pixels);
    }

    [Theory]
    [InlineData("box:3")]
    [InlineData("box:4")]
    [InlineData("gaussian:2")]
    [InlineData("gaussian:0:5")]
    [InlineData("sharpen")]
    [InlineData("sobel")]
    [InlineData("prewitt")]
    [InlineData("laplacian")]
    [InlineData("emboss")]
    [InlineData("1 2; 3 4")]
    [InlineData("1; 2; 3; 4; 5; 6")]
    [InlineData("box:61")] // windows taller than the image: mirrored several times over
    public void FilteringInStripsIsBitIdenticalToFilteringTheWholeImage(string spec)
    {
        var f = FilterKernel.Parse(spec);
        int saved = ImageFilters.StripValues;
        try
        {
            foreach (int channels in new[] { 1, 3 })
            {
                var image = RandomImage(37, 23, channels, seed: channels);
                byte[] expected = WholeImage(image, f);
                foreach (int rows in new[] { 1, 2, 5, 22, 23 })
                {
                    ImageFilters.StripValues = rows * 37 * channels;
                    var strips = ImageFilters.Apply(image, f);
                    Assert.True(expected.AsSpan().SequenceEqual(strips.Pixels), $"{spec}, {channels} channel(s), strips of {rows} rows differ");
                }
            }
        }
        finally
        {
            ImageFilters.StripValues = saved;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void PoolingInStripsIsBitIdenticalToPoolingTheWholeImage(int size)
    {
        int saved = ImageFilters.StripValues;
        try
        {
            var image = RandomImage(29, 22, 3, seed: size);
            foreach (bool max in new[] { true, false })
            {
                using var x = image.ToTensor();
                using var y = max ? Pooling.MaxPool2D(x, new PoolOptions(size)) : Pooling.AvgPool2D(x, new PoolOptions(size));
                byte[] expected = Image.FromTensor(y).Pixels;
                foreach (int blocks in new[] { 1, 2, 100 })
                {
                    ImageFilters.StripValues = blocks * size * 29 * 3;
                    var pooled = ImageFilters.Pool(image, size, max);
                    Assert.Equal((29 / size, 22 / size), (pooled.Width, pooled.Height));
                    Assert.True(expected.AsSpan().SequenceEqual(pooled.Pixels), $"size {size}, max {max}, strips of {blocks} blocks differ");
                }
            }
        }
        finally
        {
            ImageFilters.StripValues = saved;
        }
    }

    [Fact]
    public void ACustomKernelOfMoreThan255ColumnsOrRowsIsRefused()
    {
        string wide = string.Join(' ', Enumerable.Repeat("1", 256));
        Assert.Contains("the kernel is 1x256, over the limit of 255x255", Assert.Throws<FormatException>(() => FilterKernel.Parse(wide)).Message);
        string tall = string.Join(';', Enumerable.Repeat("1", 256));
        Assert.Contains("256x1", Assert.Throws<FormatException>(() => FilterKernel.Parse(tall)).Message);
        Assert.Equal(255, FilterKernel.Parse(string.Join(' ', Enumerable.Repeat("1", 255))).Kernel.GetLength(1));
        Assert.Equal(255, FilterKernel.Parse("box:255").Row!.Length);
        Assert.Equal(255, FilterKernel.Parse("gaussian:31.6").Row!.Length); // the largest sigma the message names
    }

    [Fact]
    public void TheLargestBoxOnATinyImageTakesLittleMemory()
    {
        // box:20000 on 64x48 took 1.6 GB (a 20000 x 20000 kernel matrix); the largest allowed box is cheap.
        var image = RandomImage(64, 48, 3, seed: 5);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ImageFilters.Apply(image, FilterKernel.Parse("box:255"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }
}
