using System.Numerics;
using System.Runtime.InteropServices;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>An elementwise comparison; its result is a Bool tensor.</summary>
public enum Comparison
{
    Equal,
    NotEqual,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
}

public static partial class TensorOps
{
    /// <summary>
    /// Compares a and b elementwise with broadcasting into a Bool tensor; any dtype, both the same; bool operands
    /// compare as false &lt; true.
    /// </summary>
    /// <example><code>using var isCat = TensorOps.Compare(labels, Tensor.FromInt32([3], 1), Comparison.Equal);</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the dtypes differ.</exception>
    public static Tensor Compare(Tensor a, Tensor b, Comparison comparison)
    {
        string name = comparison.ToString();
        var shape = Broadcasting.Operands(a, b, name);
        var y = Tensor.Uninitialized(shape, DType.Bool);
        var walk = new StridedWalk(shape.ToArray(), Broadcasting.Strides(shape), Broadcasting.Strides(a.Shape, shape), Broadcasting.Strides(b.Shape, shape));
        var o = y.AsSpan<bool>();
        switch (a.DType)
        {
            case DType.Float32: CompareRows<float>(a.Span, b.Span, o, walk, comparison); break;
            case DType.Int32: CompareRows<int>(a.AsSpan<int>(), b.AsSpan<int>(), o, walk, comparison); break;
            case DType.Int64: CompareRows<long>(a.AsSpan<long>(), b.AsSpan<long>(), o, walk, comparison); break;
            case DType.Bool: CompareRows<byte>(MemoryMarshal.AsBytes(a.AsSpan<bool>()), MemoryMarshal.AsBytes(b.AsSpan<bool>()), o, walk, comparison); break;
            default: CompareRows<byte>(a.AsSpan<byte>(), b.AsSpan<byte>(), o, walk, comparison); break;
        }
        return y;
    }

    private static void CompareRows<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> y, StridedWalk walk, Comparison comparison)
        where T : unmanaged, INumber<T>
    {
        int n = walk.RowLength, sa = walk.InnerStride(1), sb = walk.InnerStride(2);
        var o = walk.Offsets;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            var yr = y.Slice(o[0], n);
            int ia = o[1], ib = o[2];
            switch (comparison)
            {
                case Comparison.Equal: for (int i = 0; i < n; i++, ia += sa, ib += sb) yr[i] = a[ia] == b[ib]; break;
                case Comparison.NotEqual: for (int i = 0; i < n; i++, ia += sa, ib += sb) yr[i] = a[ia] != b[ib]; break;
                case Comparison.Greater: for (int i = 0; i < n; i++, ia += sa, ib += sb) yr[i] = a[ia] > b[ib]; break;
                case Comparison.GreaterEqual: for (int i = 0; i < n; i++, ia += sa, ib += sb) yr[i] = a[ia] >= b[ib]; break;
                case Comparison.Less: for (int i = 0; i < n; i++, ia += sa, ib += sb) yr[i] = a[ia] < b[ib]; break;
                default: for (int i = 0; i < n; i++, ia += sa, ib += sb) yr[i] = a[ia] <= b[ib]; break;
            }
        }
    }
}
