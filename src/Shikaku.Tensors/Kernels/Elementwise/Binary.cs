using System.Numerics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>
/// Operations on whole tensors of any dtype, as imported graphs (TF.js, ONNX) use them: broadcasting
/// elementwise arithmetic and comparisons, shape operations (concat, transpose, slices, gather, tile,
/// pad, cast) and reductions. Each operation returns a new tensor that the caller disposes. One file per
/// operation; the naive references they are tested against live in the test project.
/// </summary>
/// <example><code>
/// using var y = TensorOps.Add(images, TensorOps.Reshape(mean, 3)); // (N, H, W, 3) + (3)
/// using var best = TensorOps.ArgMax(scores, axis: -1);
/// </code></example>
public static partial class TensorOps
{
    /// <summary>
    /// Runs a broadcasting binary operator. Vectorised paths: same shapes (one call over the whole span), a scalar
    /// on either side, and any pattern whose merged innermost dimension is contiguous in both (per-channel-last:
    /// (N, H, W, C) with (C)), which runs one vector call per row.
    /// </summary>
    internal static Tensor Binary<TOp>(Tensor a, Tensor b, string name) where TOp : IBinaryOperator<TOp>
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.DType != b.DType)
            throw new ArgumentException($"{name}: the operands are {a.DType.Name()} {a.Shape} and {b.DType.Name()} {b.Shape}; cast one of them (TensorOps.Cast) so the dtypes agree.");
        var shape = Broadcasting.Shape(a.Shape, b.Shape, name);
        var y = Tensor.Uninitialized(shape, a.DType);
        try
        {
            switch (a.DType)
            {
                case DType.Float32: Run<float, TOp>(a.Span, a.Shape, b.Span, b.Shape, y.Span, shape); break;
                case DType.Int32: Run<int, TOp>(a.AsSpan<int>(), a.Shape, b.AsSpan<int>(), b.Shape, y.AsSpan<int>(), shape); break;
                case DType.Int64: Run<long, TOp>(a.AsSpan<long>(), a.Shape, b.AsSpan<long>(), b.Shape, y.AsSpan<long>(), shape); break;
                case DType.UInt8: Run<byte, TOp>(a.AsSpan<byte>(), a.Shape, b.AsSpan<byte>(), b.Shape, y.AsSpan<byte>(), shape); break;
                default: throw new ArgumentException($"{name} needs numbers, but both operands are {a.DType.Name()}; cast them (TensorOps.Cast) first.");
            }
        }
        catch (DivideByZeroException e)
        {
            y.Dispose();
            throw new ArgumentException($"{name}: an integer division by zero ({a.DType.Name()} {a.Shape} by {b.Shape}); cast to float32 first for IEEE infinities.", e);
        }
        catch
        {
            y.Dispose();
            throw;
        }
        return y;
    }

    private static void Run<T, TOp>(ReadOnlySpan<T> a, Shape sa, ReadOnlySpan<T> b, Shape sb, Span<T> y, Shape sy)
        where T : unmanaged, INumber<T> where TOp : IBinaryOperator<TOp>
    {
        if (y.IsEmpty) return;
        if (sa == sb) { TOp.Apply(a, b, y); return; }
        if (b.Length == 1 && a.Length == y.Length) { TOp.Apply(a, b[0], y); return; }
        if (a.Length == 1 && b.Length == y.Length) { TOp.Apply(a[0], b, y); return; }
        var walk = new StridedWalk(sy.ToArray(), Broadcasting.Strides(sy), Broadcasting.Strides(sa, sy), Broadcasting.Strides(sb, sy));
        int n = walk.RowLength;
        bool aRow = walk.InnerStride(1) != 0, bRow = walk.InnerStride(2) != 0;
        var o = walk.Offsets;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            var yr = y.Slice(o[0], n);
            if (aRow && bRow) TOp.Apply(a.Slice(o[1], n), b.Slice(o[2], n), yr);
            else if (aRow) TOp.Apply(a.Slice(o[1], n), b[o[2]], yr);
            else if (bRow) TOp.Apply(a[o[1]], b.Slice(o[2], n), yr);
            else yr.Fill(TOp.Apply(a[o[1]], b[o[2]]));
        }
    }
}

/// <summary>
/// A binary elementwise operator: one value, and span forms for the vectorised paths (both spans, or a
/// scalar on either side). Implementations are small structs, one per operation.
/// </summary>
internal interface IBinaryOperator<TSelf> where TSelf : IBinaryOperator<TSelf>
{
    static abstract T Apply<T>(T a, T b) where T : unmanaged, INumber<T>;

    static virtual void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Apply(a[i], b[i]);
    }

    static virtual void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Apply(a[i], b);
    }

    static virtual void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Apply(a, b[i]);
    }
}
