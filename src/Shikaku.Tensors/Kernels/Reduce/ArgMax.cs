using System.Numerics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// The index of the largest element along <paramref name="axis"/> (the first one on ties, as TF), with that
    /// dimension removed; the indices are <paramref name="indexType"/>, Int32 or Int64. Float32, int32, int64, uint8.
    /// </summary>
    /// <example><code>using var classes = TensorOps.ArgMax(logits, axis: -1); // (N, classes) -> (N)</code></example>
    /// <exception cref="ArgumentException">The axis does not exist or is empty, x is bool, or indexType is not an integer type.</exception>
    public static Tensor ArgMax(Tensor x, int axis = -1, DType indexType = DType.Int32) => ArgExtreme(x, axis, indexType, largest: true);

    /// <summary>The index of the smallest element along <paramref name="axis"/> (the first on ties); see <see cref="ArgMax"/>.</summary>
    public static Tensor ArgMin(Tensor x, int axis = -1, DType indexType = DType.Int32) => ArgExtreme(x, axis, indexType, largest: false);

    private static Tensor ArgExtreme(Tensor x, int axis, DType indexType, bool largest)
    {
        ArgumentNullException.ThrowIfNull(x);
        string name = largest ? "ArgMax" : "ArgMin";
        if (indexType is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"{name}: indices are int32 or int64, not {indexType.Name()}.", nameof(indexType));
        axis = Axis(axis, x.Rank, name);
        if (x.Shape[axis] == 0)
            throw new ArgumentException($"{name}: axis {axis} of {x.Shape} is empty; there is no element to point to.", nameof(x));
        var dims = x.Shape.Where((_, d) => d != axis).ToArray();
        int outer = Product(x.Shape, 0, axis), size = x.Shape[axis], inner = Product(x.Shape, axis + 1, x.Rank);
        var best = new int[outer * inner];
        switch (x.DType)
        {
            case DType.Float32: Arg<float>(x.Span, best, outer, size, inner, largest); break;
            case DType.Int32: Arg<int>(x.AsSpan<int>(), best, outer, size, inner, largest); break;
            case DType.Int64: Arg<long>(x.AsSpan<long>(), best, outer, size, inner, largest); break;
            case DType.UInt8: Arg<byte>(x.AsSpan<byte>(), best, outer, size, inner, largest); break;
            default: throw new ArgumentException($"{name} needs numbers, but x is a bool tensor of shape {x.Shape}; cast it (TensorOps.Cast) first.", nameof(x));
        }
        var y = Tensor.Uninitialized(new Shape(dims), indexType);
        if (indexType == DType.Int32) best.CopyTo(y.AsSpan<int>());
        else for (int i = 0; i < best.Length; i++) y.AsSpan<long>()[i] = best[i];
        return y;
    }

    private static void Arg<T>(ReadOnlySpan<T> x, Span<int> best, int outer, int size, int inner, bool largest) where T : unmanaged, INumber<T>
    {
        // One pass per (outer, k) row keeps the reads contiguous when the axis is not the last.
        var values = new T[inner];
        for (int o = 0; o < outer; o++)
        {
            var index = best.Slice(o * inner, inner);
            index.Clear();
            x.Slice(o * size * inner, inner).CopyTo(values);
            for (int k = 1; k < size; k++)
            {
                var row = x.Slice((o * size + k) * inner, inner);
                for (int i = 0; i < inner; i++)
                    if (largest ? row[i] > values[i] : row[i] < values[i])
                    {
                        values[i] = row[i];
                        index[i] = k;
                    }
            }
        }
    }
}
