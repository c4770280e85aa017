using System.Numerics.Tensors;

namespace Shikaku.Kernels;

/// <summary>
/// Elementwise operations on spans, built on <see cref="TensorPrimitives"/>. Used by every kernel's
/// epilogue (bias + activation) and by the layers above.
/// </summary>
public static class ElementwiseOps
{
    /// <summary>Applies <paramref name="activation"/> in place.</summary>
    public static void Activate(Span<float> x, Activation activation) => activation.Apply(x);

    /// <summary>
    /// x[r, :] += bias for each row of a row-major block, then the activation; the block's first column is
    /// channel <paramref name="channel"/> of the last axis (what a per-channel activation such as PReLU reads).
    /// </summary>
    public static void BiasActivate(Span<float> rows, int rowCount, int width, int stride, ReadOnlySpan<float> bias, Activation activation, int channel = 0)
    {
        for (int r = 0; r < rowCount; r++)
        {
            var row = rows.Slice(r * stride, width);
            if (!bias.IsEmpty) TensorPrimitives.Add(row, bias[..width], row);
            activation.Apply(row, channel);
        }
    }

    /// <summary>Row-wise softmax of a [rows, width] matrix, numerically stable (max subtracted).</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int width)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Softmax width must be positive, got {width}.");
        if (x.Length % width != 0) throw new ArgumentException($"Softmax input of {x.Length} values is not a whole number of rows of {width}.", nameof(x));
        if (y.Length < x.Length) throw new ArgumentException("Softmax output is shorter than its input.", nameof(y));
        if (width < 64)
        {
            // Narrow rows (class scores): one plain loop per row costs less than four vector calls.
            for (int r = 0; r < x.Length; r += width)
            {
                var xr = x.Slice(r, width);
                var yr = y.Slice(r, width);
                float max = xr[0];
                for (int i = 1; i < width; i++) max = MathF.Max(max, xr[i]);
                float sum = 0;
                for (int i = 0; i < width; i++) sum += yr[i] = MathF.Exp(xr[i] - max);
                float scale = 1f / sum;
                for (int i = 0; i < width; i++) yr[i] *= scale;
            }
            return;
        }
        for (int r = 0; r < x.Length; r += width)
        {
            // exp(x - max) / sum: TensorPrimitives.SoftMax alone overflows to NaN for logits near 100.
            var row = y.Slice(r, width);
            TensorPrimitives.Subtract(x.Slice(r, width), TensorPrimitives.Max(x.Slice(r, width)), row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
        }
    }
}
