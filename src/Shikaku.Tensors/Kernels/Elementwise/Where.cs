using System.Runtime.InteropServices;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// y = condition ? x : y elementwise, the three broadcast together (TF's SelectV2, ONNX's Where). The
    /// condition is Bool; x and y share any dtype, which the result has.
    /// </summary>
    /// <example><code>using var clipped = TensorOps.Where(TensorOps.Compare(x, limit, Comparison.Greater), limit, x);</code></example>
    /// <exception cref="ArgumentException">The condition is not Bool, x and y differ in dtype, or the shapes do not broadcast.</exception>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        condition.ExpectDType(DType.Bool, nameof(condition));
        if (x.DType != y.DType)
            throw new ArgumentException($"Where: x is {x.DType.Name()} {x.Shape} and y is {y.DType.Name()} {y.Shape}; cast one of them (TensorOps.Cast) so the dtypes agree.");
        var shape = Broadcasting.Shape(Broadcasting.Shape(condition.Shape, x.Shape, "Where"), y.Shape, "Where");
        var result = Tensor.Uninitialized(shape, x.DType);
        var walk = new StridedWalk(shape.ToArray(), Broadcasting.Strides(shape), Broadcasting.Strides(condition.Shape, shape),
            Broadcasting.Strides(x.Shape, shape), Broadcasting.Strides(y.Shape, shape));
        var c = condition.AsSpan<bool>();
        switch (x.DType.ElementSize())
        {
            case 1: Select(c, Elements<byte>(x), Elements<byte>(y), Elements<byte>(result), walk); break;
            case 4: Select(c, Elements<int>(x), Elements<int>(y), Elements<int>(result), walk); break;
            default: Select(c, Elements<long>(x), Elements<long>(y), Elements<long>(result), walk); break;
        }
        return result;
    }

    private static void Select<T>(ReadOnlySpan<bool> c, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> result, StridedWalk walk) where T : unmanaged
    {
        int n = walk.RowLength, sc = walk.InnerStride(1), sx = walk.InnerStride(2), sy = walk.InnerStride(3);
        var o = walk.Offsets;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            var row = result.Slice(o[0], n);
            for (int i = 0, ic = o[1], ix = o[2], iy = o[3]; i < n; i++, ic += sc, ix += sx, iy += sy) row[i] = c[ic] ? x[ix] : y[iy];
        }
    }

    /// <summary>
    /// The elements of a tensor reinterpreted as <typeparamref name="T"/> of the same size, for operations that only
    /// move values: float32 moves as int, bool as byte.
    /// </summary>
    internal static Span<T> Elements<T>(Tensor t) where T : unmanaged => t.DType switch
    {
        DType.Float32 => MemoryMarshal.Cast<float, T>(t.Span),
        DType.Int32 => MemoryMarshal.Cast<int, T>(t.AsSpan<int>()),
        DType.Int64 => MemoryMarshal.Cast<long, T>(t.AsSpan<long>()),
        DType.Bool => MemoryMarshal.Cast<bool, T>(t.AsSpan<bool>()),
        _ => MemoryMarshal.Cast<byte, T>(t.AsSpan<byte>()),
    };
}
