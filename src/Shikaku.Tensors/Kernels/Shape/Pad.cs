using System.Numerics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>What <see cref="TensorOps.Pad"/> puts outside the tensor.</summary>
public enum PadMode
{
    /// <summary>A constant value (TF's Pad, PadV2).</summary>
    Constant,
    /// <summary>The mirror image without the edge: (1, 2, 3) padded by 2 on the left is (3, 2, 1, 2, 3) (MirrorPad REFLECT).</summary>
    Reflect,
    /// <summary>The mirror image with the edge: (1, 2, 3) padded by 2 on the left is (2, 1, 1, 2, 3) (MirrorPad SYMMETRIC).</summary>
    Symmetric,
}

public static partial class TensorOps
{
    /// <summary>
    /// x with <paramref name="paddings"/>[d] = (before, after) elements added around each dimension d, filled by
    /// <paramref name="mode"/>: a constant (<paramref name="value"/>, converted to the dtype as <see cref="Cast"/>
    /// would), or a reflection, which may add at most size-1 (Reflect) or size (Symmetric) elements per side. Any dtype.
    /// </summary>
    /// <example><code>using var padded = TensorOps.Pad(image, [(0, 0), (1, 1), (1, 1), (0, 0)], PadMode.Reflect);</code></example>
    /// <exception cref="ArgumentException">Not one pair per dimension, a negative pad, or a reflection wider than the dimension.</exception>
    public static Tensor Pad(Tensor x, (int Before, int After)[] paddings, PadMode mode = PadMode.Constant, double value = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(paddings);
        int rank = x.Rank;
        if (paddings.Length != rank)
            throw new ArgumentException($"Pad of {x.Shape}: {paddings.Length} (before, after) pairs given; it needs one per dimension ({rank}).", nameof(paddings));
        var dims = new int[rank];
        var maps = new int[rank][];
        long length = 1;
        for (int d = 0; d < rank; d++)
        {
            var (before, after) = paddings[d];
            int size = x.Shape[d];
            int limit = mode switch { PadMode.Reflect => size - 1, PadMode.Symmetric => size, _ => int.MaxValue };
            if (before < 0 || after < 0 || before > limit || after > limit)
                throw new ArgumentException(mode == PadMode.Constant
                    ? $"Pad of {x.Shape}: dimension {d} has pads ({before}, {after}); pads must be >= 0 (use Slice to crop)."
                    : $"Pad of {x.Shape}: dimension {d} has pads ({before}, {after}); a {mode} pad of a dimension of {size} may add 0..{limit} per side.", nameof(paddings));
            long n = (long)before + size + after;
            length *= n;
            if (length > Array.MaxLength)
                throw new ArgumentException($"Pad of {x.Shape} would have more than {Array.MaxLength} elements.", nameof(paddings));
            dims[d] = (int)n;
            maps[d] = new int[n];
            for (int j = 0; j < n; j++) maps[d][j] = Source(j - before, size, mode);
        }
        var y = Tensor.Uninitialized(new Shape(dims), x.DType);
        if (y.Length == 0) return y;
        switch (x.DType)
        {
            case DType.Float32: Fill(x.Span, y.Span, x.Shape, dims, maps, float.CreateTruncating(value)); break;
            case DType.Int32: Fill(x.AsSpan<int>(), y.AsSpan<int>(), x.Shape, dims, maps, int.CreateTruncating(value)); break;
            case DType.Int64: Fill(x.AsSpan<long>(), y.AsSpan<long>(), x.Shape, dims, maps, long.CreateTruncating(value)); break;
            case DType.Bool: Fill(x.AsSpan<bool>(), y.AsSpan<bool>(), x.Shape, dims, maps, value != 0); break;
            default: Fill(x.AsSpan<byte>(), y.AsSpan<byte>(), x.Shape, dims, maps, byte.CreateTruncating(value)); break;
        }
        return y;
    }

    /// <summary>The source index of padded position i (i &lt; 0 or &gt;= size lies in a pad), or -1 for the constant.</summary>
    private static int Source(int i, int size, PadMode mode)
    {
        if (i >= 0 && i < size) return i;
        return mode switch
        {
            PadMode.Reflect => i < 0 ? -i : 2 * (size - 1) - i,
            PadMode.Symmetric => i < 0 ? -i - 1 : 2 * size - 1 - i,
            _ => -1,
        };
    }

    private static void Fill<T>(ReadOnlySpan<T> x, Span<T> y, Shape shape, int[] dims, int[][] maps, T value) where T : unmanaged
    {
        int rank = dims.Length;
        if (rank == 0) { y[0] = x[0]; return; }
        var strides = Broadcasting.Strides(shape);
        int width = dims[^1], rows = y.Length / width;
        var lastMap = maps[^1];
        var index = new int[rank - 1];
        for (int r = 0; r < rows; r++)
        {
            var row = y.Slice(r * width, width);
            int at = 0;
            bool inside = true;
            for (int d = 0; d < rank - 1; d++)
            {
                int s = maps[d][index[d]];
                if (s < 0) { inside = false; break; }
                at += s * strides[d];
            }
            if (!inside) row.Fill(value);
            else for (int j = 0; j < width; j++) row[j] = lastMap[j] < 0 ? value : x[at + lastMap[j]];
            for (int d = rank - 2; d >= 0 && ++index[d] == dims[d]; d--) index[d] = 0;
        }
    }
}
