using Shikaku.Explain;
using Shikaku.Tensors;
using Shikaku.Kernels;

namespace Shikaku.Tests;

/// <summary>The worked examples of the lecture (section 8-2), exactly.</summary>
public class LectureExampleTests
{
    private static float[] Values(string text) => text.Split(' ').Select(float.Parse).ToArray();

    [Fact]
    public void OneDimensionalConvolution()
    {
        var trace = SlidingWindowTrace.Convolve1D(Values("0 1 0 1 0 0 1 1 1 0"), Values("1 0 1"));
        Assert.Equal("0 2 0 1 1 1 2 1", MatrixText.Format(trace.Output));
        // The second window covers "1 0 1": products 1 0 1, sum 2.
        var step = trace.Steps[1];
        Assert.Equal("1 0 1", MatrixText.Format(step.Patch));
        Assert.Equal("1 0 1", MatrixText.Format(step.Products!));
        Assert.Equal(2f, step.Value);
    }

    [Fact]
    public void TwoDimensionalConvolution()
    {
        var input = MatrixText.Parse("0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1");
        var kernel = MatrixText.Parse("1 0 1; 1 1 1; 0 0 1");
        var trace = SlidingWindowTrace.Convolve(input, kernel);
        Assert.Equal("4 3 5; 4 3 5; 4 3 5", MatrixText.Format(trace.Output));
        Assert.Equal(9, trace.Steps.Count);
        // Every step's value is the sum of its products: the trace agrees with the kernel.
        foreach (var s in trace.Steps)
            Assert.Equal(s.Products!.Cast<float>().Sum(), s.Value, 5);
    }

    [Fact]
    public void MaxPooling()
    {
        var trace = SlidingWindowTrace.Pool(MatrixText.Parse("4 8; 7 1"), new PoolOptions(2), max: true);
        Assert.Equal("8", MatrixText.Format(trace.Output));
        Assert.Equal("4 8; 7 1", MatrixText.Format(trace.Steps[0].Patch));
    }

    [Fact]
    public void PaddingStrideAndDilationShowInTheTrace()
    {
        var trace = SlidingWindowTrace.Convolve1D(Values("1 2 3 4 5"), Values("1 1"), new ConvOptions { Padding = Padding.Explicit(1), Stride = 2 });
        Assert.Equal("1 5 9", MatrixText.Format(trace.Output));
        Assert.True(trace.Steps[0].Padded[0, 0]);
        var dilated = SlidingWindowTrace.Convolve1D(Values("1 2 3 4 5"), Values("1 1"), new ConvOptions { Dilation = 2 });
        Assert.Equal("4 6 8", MatrixText.Format(dilated.Output));
    }

    [Theory]
    [InlineData("1 2; 3", "not rectangular")]
    [InlineData("1 x", "'x' is not a number")]
    [InlineData("", "empty")]
    [InlineData("1;;2", "Row 2")]
    public void BadMatrixTextIsExplained(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => MatrixText.Parse(text, "kernel"));
        Assert.Contains(expected, e.Message);
    }
}
