using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// Joins tensors along <paramref name="axis"/> (negative counts from the end); all have the same rank and
    /// dtype and agree on every other dimension. Any dtype.
    /// </summary>
    /// <example><code>using var both = TensorOps.Concat([left, right], axis: -1); // (N, H, W, C1 + C2)</code></example>
    /// <exception cref="ArgumentException">No tensors, or they differ in rank, dtype or another dimension.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor.", nameof(tensors));
        var first = tensors[0];
        int rank = first.Rank;
        if (rank == 0) throw new ArgumentException("Concat: scalars have no axis to join along; reshape them to (1) first.", nameof(tensors));
        axis = Axis(axis, rank, "Concat");
        var dims = first.Shape.ToArray();
        dims[axis] = 0;
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            if (t.DType != first.DType || t.Rank != rank)
                throw new ArgumentException($"Concat: {t.DType.Name()} {t.Shape} cannot join {first.DType.Name()} {first.Shape}; every tensor needs the same rank and dtype.", nameof(tensors));
            for (int d = 0; d < rank; d++)
                if (d != axis && t.Shape[d] != first.Shape[d])
                    throw new ArgumentException($"Concat along axis {axis}: {t.Shape} and {first.Shape} differ in dimension {d}; only the axis may differ.", nameof(tensors));
            dims[axis] += t.Shape[axis];
        }
        var y = Tensor.Uninitialized(new Shape(dims), first.DType);
        int outer = Product(first.Shape, 0, axis), inner = Product(first.Shape, axis + 1, rank);
        switch (first.DType.ElementSize())
        {
            case 1: Join<byte>(tensors, y, axis, outer, inner); break;
            case 4: Join<int>(tensors, y, axis, outer, inner); break;
            default: Join<long>(tensors, y, axis, outer, inner); break;
        }
        return y;
    }

    private static void Join<T>(IReadOnlyList<Tensor> tensors, Tensor y, int axis, int outer, int inner) where T : unmanaged
    {
        var dst = Elements<T>(y);
        int row = y.Shape[axis] * inner, at = 0;
        foreach (var t in tensors)
        {
            var src = Elements<T>(t);
            int chunk = t.Shape[axis] * inner;
            for (int o = 0; o < outer; o++) src.Slice(o * chunk, chunk).CopyTo(dst.Slice(o * row + at, chunk));
            at += chunk;
        }
    }
}
