using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

/// <summary>How <see cref="TensorOps.Reduce"/> combines the elements it reduces.</summary>
public enum Reduction
{
    Sum,
    Mean,
    Max,
    Min,
    Prod,
}

public static partial class TensorOps
{
    /// <summary>The sum over <paramref name="axes"/> (null: all of them); see <see cref="Reduce"/>.</summary>
    /// <example><code>using var perImage = TensorOps.Sum(x, [1, 2, 3]);</code></example>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(x, Reduction.Sum, axes, keepDims);

    /// <summary>The mean over <paramref name="axes"/> (null: all of them); integers divide truncating, as TF.</summary>
    /// <example><code>using var pooled = TensorOps.Mean(features, [1, 2], keepDims: true); // global average pooling</code></example>
    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(x, Reduction.Mean, axes, keepDims);

    /// <summary>The largest element over <paramref name="axes"/> (null: all of them).</summary>
    public static Tensor Max(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(x, Reduction.Max, axes, keepDims);

    /// <summary>The smallest element over <paramref name="axes"/> (null: all of them).</summary>
    public static Tensor Min(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(x, Reduction.Min, axes, keepDims);

    /// <summary>The product over <paramref name="axes"/> (null: all of them).</summary>
    public static Tensor Prod(Tensor x, int[]? axes = null, bool keepDims = false) => Reduce(x, Reduction.Prod, axes, keepDims);

    /// <summary>
    /// Reduces x over a set of axes (negative ones count from the end; null means every axis, an empty set none),
    /// as TF's Sum, Mean, Max, Min and Prod. The reduced dimensions are dropped, or kept as 1 with
    /// <paramref name="keepDims"/>. Float32, int32, int64 and uint8, the result in the same dtype. An empty
    /// reduction gives the identity (0, 1, -inf or +inf for float max and min; the mean of nothing is NaN).
    /// Float sums accumulate in float32, per row of the innermost dimension with a vectorised sum.
    /// </summary>
    /// <exception cref="ArgumentException">An axis does not exist or repeats, or x is bool.</exception>
    public static Tensor Reduce(Tensor x, Reduction reduction, int[]? axes = null, bool keepDims = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        int rank = x.Rank;
        var reduced = new bool[rank];
        foreach (int axis in axes ?? Enumerable.Range(0, rank).ToArray())
        {
            int a = Axis(axis, rank, reduction.ToString());
            if (reduced[a]) throw new ArgumentException($"{reduction}: axis {axis} is named twice in ({string.Join(", ", axes!)}).", nameof(axes));
            reduced[a] = true;
        }
        var kept = new int[rank];
        var outDims = new List<int>();
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            kept[d] = reduced[d] ? 1 : x.Shape[d];
            if (reduced[d]) count *= x.Shape[d];
            if (!reduced[d] || keepDims) outDims.Add(kept[d]);
        }
        var y = Tensor.Uninitialized(new Shape([.. outDims]), x.DType);
        var keptShape = new Shape(kept);
        var walk = new StridedWalk(x.Shape.ToArray(), Broadcasting.Strides(x.Shape), Broadcasting.Strides(keptShape, x.Shape));
        switch (x.DType)
        {
            case DType.Float32: Reduce<float>(x.Span, y.Span, walk, reduction, count); break;
            case DType.Int32: Reduce<int>(x.AsSpan<int>(), y.AsSpan<int>(), walk, reduction, count); break;
            case DType.Int64: Reduce<long>(x.AsSpan<long>(), y.AsSpan<long>(), walk, reduction, count); break;
            case DType.UInt8: Reduce<byte>(x.AsSpan<byte>(), y.AsSpan<byte>(), walk, reduction, count); break;
            default:
                y.Dispose();
                throw new ArgumentException($"{reduction} needs numbers, but x is a bool tensor of shape {x.Shape}; cast it (TensorOps.Cast) first.", nameof(x));
        }
        return y;
    }

    private static void Reduce<T>(ReadOnlySpan<T> x, Span<T> y, StridedWalk walk, Reduction reduction, long count)
        where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        y.Fill(reduction switch
        {
            Reduction.Sum or Reduction.Mean => T.Zero,
            Reduction.Prod => T.One,
            Reduction.Max => typeof(T) == typeof(float) ? T.CreateTruncating(float.NegativeInfinity) : T.MinValue,
            _ => typeof(T) == typeof(float) ? T.CreateTruncating(float.PositiveInfinity) : T.MaxValue,
        });
        int n = walk.RowLength;
        bool along = walk.InnerStride(1) == 0; // the row is reduced into one output element
        var o = walk.Offsets;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            var row = x.Slice(o[0], n);
            if (along)
            {
                ref T acc = ref y[o[1]];
                acc = reduction switch
                {
                    Reduction.Sum or Reduction.Mean => acc + TensorPrimitives.Sum(row),
                    Reduction.Prod => acc * TensorPrimitives.Product(row),
                    Reduction.Max => T.Max(acc, TensorPrimitives.Max(row)),
                    _ => T.Min(acc, TensorPrimitives.Min(row)),
                };
            }
            else
            {
                var acc = y.Slice(o[1], n);
                switch (reduction)
                {
                    case Reduction.Sum or Reduction.Mean: TensorPrimitives.Add(acc, row, acc); break;
                    case Reduction.Prod: TensorPrimitives.Multiply(acc, row, acc); break;
                    case Reduction.Max: TensorPrimitives.Max(acc, row, acc); break;
                    default: TensorPrimitives.Min(acc, row, acc); break;
                }
            }
        }
        if (reduction != Reduction.Mean) return;
        if (typeof(T) == typeof(float)) TensorPrimitives.Divide(y, T.CreateTruncating(count), y);
        else if (count > 0) for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(long.CreateTruncating(y[i]) / count);
    }
}
