using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

public static partial class Sgemm
{
    /// <summary>
    /// sums[j] += Σ_i x[i, j] for a row-major matrix of the given width. Large matrices are split into row
    /// blocks summed by the threads into partial sums, which are then added in block order.
    /// </summary>
    public static unsafe void AddColumnSums(ReadOnlySpan<float> x, int width, Span<float> sums)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Width must be positive, got {width}.");
        int rows = x.Length / width;
        int blocks = x.Length < 1 << 18 ? 1 : Math.Min(Engine.Threads, rows);
        if (blocks <= 1)
        {
            SumRows(x, width, sums[..width]);
            return;
        }
        var partials = new float[blocks * width];
        fixed (float* xp = x)
        {
            float* px = xp;
            Engine.ParallelFor(blocks, (first, last) =>
            {
                for (int b = first; b < last; b++)
                {
                    int r0 = (int)((long)rows * b / blocks), r1 = (int)((long)rows * (b + 1) / blocks);
                    SumRows(new ReadOnlySpan<float>(px + (long)r0 * width, (r1 - r0) * width), width, partials.AsSpan(b * width, width));
                }
            });
        }
        for (int b = 0; b < blocks; b++) TensorPrimitives.Add(sums[..width], partials.AsSpan(b * width, width), sums[..width]);
    }

    /// <summary>sums += the column sums of a block of rows; narrow rows (up to 64 values) are summed in registers.</summary>
    private static void SumRows(ReadOnlySpan<float> x, int width, Span<float> sums)
    {
        int lanes = Vector<float>.Count;
        if (width % lanes != 0 || width > 8 * lanes)
        {
            for (int r = 0; r < x.Length; r += width) TensorPrimitives.Add(sums, x.Slice(r, width), sums);
            return;
        }
        // Up to 8 vectors of column sums stay in registers across all rows.
        Span<Vector<float>> acc = stackalloc Vector<float>[width / lanes];
        for (int v = 0; v < acc.Length; v++) acc[v] = new Vector<float>(sums[(v * lanes)..]);
        for (int r = 0; r < x.Length; r += width)
            for (int v = 0; v < acc.Length; v++) acc[v] += new Vector<float>(x[(r + v * lanes)..]);
        for (int v = 0; v < acc.Length; v++) acc[v].CopyTo(sums[(v * lanes)..]);
    }
}
