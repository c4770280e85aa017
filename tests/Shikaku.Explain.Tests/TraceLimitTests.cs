using Shikaku.Explain;
using Shikaku.Kernels;

namespace Shikaku.Tests;

/// <summary>The lecture's traces keep every window: sizes that would fill memory are refused before anything is allocated.</summary>
public class TraceLimitTests
{
    private static float[,] Matrix(int h, int w) => new float[h, w];

    [Theory]
    [InlineData("10000", "10000 is over the limit of 1000")]
    [InlineData("1,1001", "1001 is over the limit of 1000")]
    [InlineData("0,0,0,2147483647", "2147483647 is over the limit of 1000")]
    public void ParsedPaddingIsAtMost1000(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Padding.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.Equal(Padding.Explicit(1000), Padding.Parse("1000"));
    }

    [Fact]
    public void PaddingOver1000IsRefusedBeforeTheConvolutionRuns()
    {
        // conv2d --padding 10000 on a 1x1 matrix allocated 3 GB: 20001 x 20001 windows.
        var e = Assert.Throws<ArgumentException>(() =>
            SlidingWindowTrace.Convolve(Matrix(1, 1), Matrix(1, 1), new ConvOptions { Padding = Padding.Explicit(10000) }));
        Assert.Contains("over the limit of 1000", e.Message);
        Assert.Contains("10000", e.Message);
        Assert.Throws<ArgumentException>(() => SlidingWindowTrace.Pool(Matrix(1, 1), new PoolOptions(1, 1, Padding.Explicit(0, 0, 0, 5000)), max: true));
    }

    [Fact]
    public void TracesOfMoreThanAMillionCellsAreRefused()
    {
        // 998 x 998 windows of 3 x 3 = 8,964,036 stored values.
        var conv = Assert.Throws<ArgumentException>(() => SlidingWindowTrace.Convolve(Matrix(1000, 1000), Matrix(3, 3)));
        Assert.Contains("998x998 windows of 3x3 = 8,964,036 values, over the limit of 1,000,000", conv.Message);
        var conv1D = Assert.Throws<ArgumentException>(() => SlidingWindowTrace.Convolve1D(new float[5000], new float[2000]));
        Assert.Contains("over the limit of 1,000,000", conv1D.Message);
        var pool = Assert.Throws<ArgumentException>(() => SlidingWindowTrace.Pool(Matrix(2000, 2000), new PoolOptions(2), max: false));
        Assert.Contains("1000x1000 windows of 2x2", pool.Message);
        // A large input with few windows: the input is kept by the trace and counts.
        var one = Assert.Throws<ArgumentException>(() => SlidingWindowTrace.Convolve(Matrix(3000, 3000), Matrix(1, 1), new ConvOptions { Stride = 3000 }));
        Assert.Contains("a 3000x3000 input", one.Message);
        // Padding 1000 on a small example stays within the limit and works.
        var padded = SlidingWindowTrace.Convolve(Matrix(1, 1), Matrix(1, 1), new ConvOptions { Padding = Padding.Explicit(0, 0, 1000, 1000) });
        Assert.Equal(2001, padded.Output.GetLength(1));
    }
}
