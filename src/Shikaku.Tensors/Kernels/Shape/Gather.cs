using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// Picks slices of <paramref name="x"/> along <paramref name="axis"/> at <paramref name="indices"/> (Int32 or
    /// Int64), as TF's GatherV2: the result has shape x[..axis] + indices[batchDims..] + x[axis+1..]. With
    /// <paramref name="batchDims"/> &gt; 0 the first dimensions of x and indices are shared batch dimensions.
    /// Any dtype of x. An index outside 0..size-1 (negative ones included) is an error, never a wrong read.
    /// </summary>
    /// <example><code>using var rows = TensorOps.Gather(embeddings, Tensor.FromInt32([4, 0, 4], 3), axis: 0);</code></example>
    /// <exception cref="ArgumentException">The indices are not integers or out of range, or the batch dimensions differ.</exception>
    public static Tensor Gather(Tensor x, Tensor indices, int axis = 0, int batchDims = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.DType is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"Gather: the indices are {indices.DType.Name()} {indices.Shape}; they must be int32 or int64 (cast them with TensorOps.Cast).", nameof(indices));
        if (batchDims < 0) batchDims += indices.Rank;
        if (batchDims < 0 || batchDims > indices.Rank)
            throw new ArgumentException($"Gather: batchDims {batchDims} does not fit indices of rank {indices.Rank}.", nameof(batchDims));
        axis = Axis(axis, x.Rank, "Gather");
        if (axis < batchDims)
            throw new ArgumentException($"Gather: axis {axis} lies inside the {batchDims} batch dimensions; it must be at least batchDims.", nameof(axis));
        for (int d = 0; d < batchDims; d++)
            if (x.Shape[d] != indices.Shape[d])
                throw new ArgumentException($"Gather: batch dimension {d} is {x.Shape[d]} in x {x.Shape} but {indices.Shape[d]} in the indices {indices.Shape}.", nameof(indices));
        var dims = new List<int>();
        for (int d = 0; d < axis; d++) dims.Add(x.Shape[d]);
        for (int d = batchDims; d < indices.Rank; d++) dims.Add(indices.Shape[d]);
        for (int d = axis + 1; d < x.Rank; d++) dims.Add(x.Shape[d]);
        int batch = Product(x.Shape, 0, batchDims), pre = Product(x.Shape, batchDims, axis), size = x.Shape[axis];
        int inner = Product(x.Shape, axis + 1, x.Rank), count = Product(indices.Shape, batchDims, indices.Rank);
        var picks = new int[indices.Length];
        for (int i = 0; i < picks.Length; i++)
        {
            long v = indices.DType == DType.Int32 ? indices.AsSpan<int>()[i] : indices.AsSpan<long>()[i];
            if ((ulong)v >= (ulong)size)
                throw new ArgumentException($"Gather: index {v} is outside 0..{size - 1} (axis {axis} of {x.Shape}).", nameof(indices));
            picks[i] = (int)v;
        }
        var y = Tensor.Uninitialized(new Shape([.. dims]), x.DType);
        switch (x.DType.ElementSize())
        {
            case 1: Pick<byte>(x, y, picks, batch, pre, size, inner, count); break;
            case 4: Pick<int>(x, y, picks, batch, pre, size, inner, count); break;
            default: Pick<long>(x, y, picks, batch, pre, size, inner, count); break;
        }
        return y;
    }

    private static void Pick<T>(Tensor x, Tensor y, int[] picks, int batch, int pre, int size, int inner, int count) where T : unmanaged
    {
        var src = Elements<T>(x);
        var dst = Elements<T>(y);
        int at = 0;
        for (int b = 0; b < batch; b++)
            for (int p = 0; p < pre; p++)
            {
                int from = (b * pre + p) * size * inner;
                for (int i = 0; i < count; i++, at += inner) src.Slice(from + picks[b * count + i] * inner, inner).CopyTo(dst.Slice(at, inner));
            }
    }
}
