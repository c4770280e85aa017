using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// The dimensions reordered: output dimension i is input dimension <paramref name="permutation"/>[i]
    /// (NHWC to NCHW is (0, 3, 1, 2)). Any dtype and rank. Dimensions that stay neighbours move as one block.
    /// </summary>
    /// <example><code>using var nchw = TensorOps.Transpose(nhwc, 0, 3, 1, 2);</code></example>
    /// <exception cref="ArgumentException">The permutation is not one of 0..rank-1.</exception>
    public static Tensor Transpose(Tensor x, params int[] permutation)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(permutation);
        int rank = x.Rank;
        var seen = new bool[rank];
        if (permutation.Length != rank || permutation.Any(p => (uint)p >= (uint)rank || seen[p] || !(seen[p] = true)))
            throw new ArgumentException($"Transpose of {x.Shape}: ({string.Join(", ", permutation)}) is not a permutation of 0..{rank - 1}.", nameof(permutation));
        var inStrides = Broadcasting.Strides(x.Shape);
        var dims = permutation.Select(p => x.Shape[p]).ToArray();
        var strides = permutation.Select(p => inStrides[p]).ToArray();
        var y = Tensor.Uninitialized(new Shape(dims), x.DType);
        var walk = new StridedWalk(dims, Broadcasting.Strides(new Shape(dims)), strides);
        switch (x.DType.ElementSize())
        {
            case 1: CopyStrided(Elements<byte>(x), Elements<byte>(y), walk, 0); break;
            case 4: CopyStrided(Elements<int>(x), Elements<int>(y), walk, 0); break;
            default: CopyStrided(Elements<long>(x), Elements<long>(y), walk, 0); break;
        }
        return y;
    }

    /// <summary>Fills y row by row from x at the walk's second operand's offsets (plus <paramref name="start"/>).</summary>
    internal static void CopyStrided<T>(ReadOnlySpan<T> x, Span<T> y, StridedWalk walk, int start) where T : unmanaged
    {
        int n = walk.RowLength, s = walk.InnerStride(1);
        var o = walk.Offsets;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            var row = y.Slice(o[0], n);
            int at = start + o[1];
            if (s == 1) x.Slice(at, n).CopyTo(row);
            else for (int i = 0; i < n; i++, at += s) row[i] = x[at];
        }
    }
}
