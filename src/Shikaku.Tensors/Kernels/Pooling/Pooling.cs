using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Shikaku.Kernels.Conv;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>Window, stride and padding of a pooling layer. The stride defaults to the window size.</summary>
/// <example><code>new PoolOptions(2) // 2x2 windows, stride 2, 'valid'</code></example>
public sealed record PoolOptions
{
    /// <summary>Square windows of <paramref name="size"/>, stride = size (or <paramref name="stride"/>).</summary>
    public PoolOptions(int size, int? stride = null, Padding padding = default)
    {
        (SizeH, SizeW) = (size, size);
        (StrideH, StrideW) = (stride ?? size, stride ?? size);
        Padding = padding;
    }

    /// <summary>Window height and width.</summary>
    public int SizeH { get; init; }
    /// <inheritdoc cref="SizeH"/>
    public int SizeW { get; init; }
    /// <summary>Step between windows.</summary>
    public int StrideH { get; init; }
    /// <inheritdoc cref="StrideH"/>
    public int StrideW { get; init; }
    /// <summary>Border handling; padded positions never take part in the max or the average.</summary>
    public Padding Padding { get; init; }

    /// <summary>The window geometry for an input of <paramref name="h"/> x <paramref name="w"/>.</summary>
    public ConvGeometry Geometry(int h, int w) => new(h, w, SizeH, SizeW, StrideH, StrideW, 1, 1, Padding);
}

/// <summary>Max, average and global average pooling on NHWC tensors.</summary>
/// <example><code>using var y = Pooling.MaxPool2D(x, new PoolOptions(2));</code></example>
public static partial class Pooling
{
    /// <summary>The largest value in each window, per channel.</summary>
    public static Tensor MaxPool2D(Tensor input, PoolOptions options) => Pool(input, options, max: true);

    /// <summary>The mean of each window's values inside the image, per channel (padding not counted, as in TF).</summary>
    public static Tensor AvgPool2D(Tensor input, PoolOptions options) => Pool(input, options, max: false);

    /// <summary>[N, H, W, C] -> [N, C]: the mean over all positions.</summary>
    public static Tensor GlobalAvgPool(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"Global average pooling needs NHWC input, got {input.Shape}.", nameof(input));
        int n = input.Shape[0], hw = input.Shape[1] * input.Shape[2], c = input.Shape[3];
        var output = Tensor.Zeros(n, c);
        var x = input.Span;
        var y = output.Span;
        for (int b = 0; b < n; b++)
        {
            var sum = y.Slice(b * c, c);
            for (int p = 0; p < hw; p++) TensorPrimitives.Add(sum, x.Slice((b * hw + p) * c, c), sum);
            TensorPrimitives.Multiply(sum, 1f / hw, sum);
        }
        return output;
    }

    private static unsafe Tensor Pool(Tensor input, PoolOptions options, bool max)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        if (input.Rank != 4) throw new ArgumentException($"Pooling needs NHWC input [batch, height, width, channels], got {input.Shape}.", nameof(input));
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        var g = options.Geometry(h, w);
        var output = Tensor.Uninitialized(new Shape(n, g.OutH, g.OutW, c));
        fixed (float* x = input.Span, y = output.Span)
        {
            PoolKernel.Run(x, n, h, w, c, g, max, y);
        }
        return output;
    }
}
