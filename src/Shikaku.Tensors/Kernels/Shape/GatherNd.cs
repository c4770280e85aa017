using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// Picks slices of <paramref name="x"/> by whole index tuples, as TF's GatherNd: the last dimension of
    /// <paramref name="indices"/> (Int32 or Int64) holds K coordinates into x's first K dimensions, and the result
    /// has shape indices[..-1] + x[K..]. Any dtype of x. An index outside its dimension (negative ones included)
    /// is an error, never a wrong read.
    /// </summary>
    /// <example><code>using var points = TensorOps.GatherNd(heatmap, Tensor.FromInt32([0, 3, 5, 0, 4, 1], 2, 3)); // two (n, y, x) picks</code></example>
    /// <exception cref="ArgumentException">The indices are not integers, have more coordinates than x has dimensions, or are out of range.</exception>
    public static Tensor GatherNd(Tensor x, Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.DType is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"GatherNd: the indices are {indices.DType.Name()} {indices.Shape}; they must be int32 or int64 (cast them with TensorOps.Cast).", nameof(indices));
        if (indices.Rank == 0)
            throw new ArgumentException("GatherNd: the indices are a scalar; they need a last dimension holding the coordinates.", nameof(indices));
        int k = indices.Shape[indices.Rank - 1];
        if (k > x.Rank)
            throw new ArgumentException($"GatherNd: each index has {k} coordinates, but x {x.Shape} has only {x.Rank} dimensions.", nameof(indices));
        var dims = new List<int>();
        for (int d = 0; d < indices.Rank - 1; d++) dims.Add(indices.Shape[d]);
        for (int d = k; d < x.Rank; d++) dims.Add(x.Shape[d]);
        int count = Product(indices.Shape, 0, indices.Rank - 1), inner = Product(x.Shape, k, x.Rank);
        var strides = Broadcasting.Strides(x.Shape);
        var starts = new int[count];
        for (int i = 0; i < count; i++)
        {
            long at = 0;
            for (int j = 0; j < k; j++)
            {
                long v = indices.DType == DType.Int32 ? indices.AsSpan<int>()[i * k + j] : indices.AsSpan<long>()[i * k + j];
                if ((ulong)v >= (ulong)x.Shape[j])
                    throw new ArgumentException($"GatherNd: coordinate {j} of index {i} is {v}, outside 0..{x.Shape[j] - 1} (dimension {j} of {x.Shape}).", nameof(indices));
                at += v * strides[j];
            }
            starts[i] = (int)at;
        }
        var y = Tensor.Uninitialized(new Shape([.. dims]), x.DType);
        if (inner == 0 && x.Rank > k) return y;
        switch (x.DType.ElementSize())
        {
            case 1: Rows<byte>(x, y, starts, inner); break;
            case 4: Rows<int>(x, y, starts, inner); break;
            default: Rows<long>(x, y, starts, inner); break;
        }
        return y;
    }

    private static void Rows<T>(Tensor x, Tensor y, int[] starts, int inner) where T : unmanaged
    {
        var src = Elements<T>(x);
        var dst = Elements<T>(y);
        for (int i = 0; i < starts.Length; i++) src.Slice(starts[i], inner).CopyTo(dst.Slice(i * inner, inner));
    }
}
