using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// A tensor of <paramref name="shape"/> filled with <paramref name="defaultValue"/> (a scalar) except at
    /// <paramref name="indices"/>, which take <paramref name="values"/>, as TF's SparseToDense. The indices (Int32 or
    /// Int64) are a scalar or a vector (positions in a 1-D result) or an [N, rank] matrix (one coordinate tuple per
    /// row); the values are one scalar for every index or one per index, of the result's dtype (any). With
    /// <paramref name="validate"/> (TF's validate_indices) the indices must be in increasing order without repeats.
    /// </summary>
    /// <example><code>using var dense = TensorOps.SparseToDense(Tensor.FromInt32([1, 3], 2), new Shape(5), Tensor.FromArray([7f, 8f], 2), Tensor.FromArray([0f])); // 0 7 0 8 0</code></example>
    /// <exception cref="ArgumentException">The shapes of the arguments disagree, an index is outside the shape, or (validate) out of order or repeated.</exception>
    public static Tensor SparseToDense(Tensor indices, Shape shape, Tensor values, Tensor defaultValue, bool validate = true)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(defaultValue);
        if (indices.DType is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"SparseToDense: the indices are {indices.DType.Name()} {indices.Shape}; they must be int32 or int64.", nameof(indices));
        if (indices.Rank > 2)
            throw new ArgumentException($"SparseToDense: the indices {indices.Shape} must be a scalar, a vector or an [N, rank] matrix.", nameof(indices));
        int n = indices.Rank == 0 ? 1 : indices.Shape[0], width = indices.Rank == 2 ? indices.Shape[1] : 1;
        if (width != shape.Rank)
            throw new ArgumentException($"SparseToDense: each index has {width} coordinate(s), but the result {shape} has {shape.Rank} dimension(s).", nameof(indices));
        if (values.DType != defaultValue.DType)
            throw new ArgumentException($"SparseToDense: the values are {values.DType.Name()} and the default {defaultValue.DType.Name()}; they must agree.", nameof(defaultValue));
        if (defaultValue.Length != 1 || defaultValue.Rank > 1)
            throw new ArgumentException($"SparseToDense: the default value {defaultValue.Shape} must be a scalar.", nameof(defaultValue));
        if (!(values.Rank == 0 || values.Rank == 1 && (values.Length == n || values.Length == 1)))
            throw new ArgumentException($"SparseToDense: the values {values.Shape} must be a scalar or hold one value per index ({n}).", nameof(values));
        var strides = Broadcasting.Strides(shape);
        var at = new int[n];
        long previous = -1;
        for (int i = 0; i < n; i++)
        {
            long flat = 0;
            for (int j = 0; j < width; j++)
            {
                long v = indices.DType == DType.Int32 ? indices.AsSpan<int>()[i * width + j] : indices.AsSpan<long>()[i * width + j];
                if ((ulong)v >= (ulong)shape[j])
                    throw new ArgumentException($"SparseToDense: coordinate {j} of index {i} is {v}, outside 0..{shape[j] - 1} (dimension {j} of {shape}).", nameof(indices));
                flat += v * strides[j];
            }
            // Row-major flat positions grow exactly when the index tuples grow lexicographically.
            if (validate && flat <= previous)
                throw new ArgumentException($"SparseToDense: index {i} {(flat == previous ? "repeats the one before it" : "is out of order")}; with validate_indices they must be sorted and unique.", nameof(indices));
            previous = flat;
            at[i] = (int)flat;
        }
        var y = Tensor.Uninitialized(shape, values.DType);
        switch (values.DType.ElementSize())
        {
            case 1: Scatter<byte>(y, at, values, defaultValue); break;
            case 4: Scatter<int>(y, at, values, defaultValue); break;
            default: Scatter<long>(y, at, values, defaultValue); break;
        }
        return y;
    }

    private static void Scatter<T>(Tensor y, int[] at, Tensor values, Tensor defaultValue) where T : unmanaged
    {
        var dst = Elements<T>(y);
        var v = Elements<T>(values);
        dst.Fill(Elements<T>(defaultValue)[0]);
        for (int i = 0; i < at.Length; i++) dst[at[i]] = v.Length == 1 ? v[0] : v[i];
    }
}
