using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        bool vector = sa == 1 && sb == 1 && Vector256.IsHardwareAccelerated && Vector256<T>.Count == 8;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            int ia = o[1], ib = o[2];
            int done = vector ? CompareEight(a.Slice(ia, n), b.Slice(ib, n), y.Slice(o[0], n), comparison) : 0;
            var yr = y.Slice(o[0] + done, n - done);
            ia += done * sa;
            ib += done * sb;
            switch (comparison)
            {
                case Comparison.Equal: for (int i = 0; i < yr.Length; i++, ia += sa, ib += sb) yr[i] = a[ia] == b[ib]; break;
                case Comparison.NotEqual: for (int i = 0; i < yr.Length; i++, ia += sa, ib += sb) yr[i] = a[ia] != b[ib]; break;
                case Comparison.Greater: for (int i = 0; i < yr.Length; i++, ia += sa, ib += sb) yr[i] = a[ia] > b[ib]; break;
                case Comparison.GreaterEqual: for (int i = 0; i < yr.Length; i++, ia += sa, ib += sb) yr[i] = a[ia] >= b[ib]; break;
                case Comparison.Less: for (int i = 0; i < yr.Length; i++, ia += sa, ib += sb) yr[i] = a[ia] < b[ib]; break;
                default: for (int i = 0; i < yr.Length; i++, ia += sa, ib += sb) yr[i] = a[ia] <= b[ib]; break;
            }
        }
    }

    /// <summary>
    /// Compares contiguous float32 or int32 runs eight at a time (a 256-bit compare; its sign bits, looked up as eight bools,
    /// one 8-byte store) and returns how many it did; the caller finishes the rest.
    /// </summary>
    private static int CompareEight<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> y, Comparison comparison) where T : unmanaged, INumber<T>
    {
        ref T ra = ref MemoryMarshal.GetReference(a), rb = ref MemoryMarshal.GetReference(b);
        ref byte ry = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(y));
        int i = 0;
        for (; i + 8 <= a.Length; i += 8)
        {
            var va = Vector256.LoadUnsafe(ref ra, (nuint)i);
            var vb = Vector256.LoadUnsafe(ref rb, (nuint)i);
            var mask = comparison switch
            {
                Comparison.Equal => Vector256.Equals(va, vb),
                Comparison.NotEqual => ~Vector256.Equals(va, vb),
                Comparison.Greater => Vector256.GreaterThan(va, vb),
                Comparison.GreaterEqual => Vector256.GreaterThanOrEqual(va, vb),
                Comparison.Less => Vector256.LessThan(va, vb),
                _ => Vector256.LessThanOrEqual(va, vb),
            };
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref ry, i), EightBools[mask.ExtractMostSignificantBits()]);
        }
        return i;
    }

    /// <summary>For each 8-bit mask, the eight bools it stands for, packed in a ulong (byte j is bit j).</summary>
    private static readonly ulong[] EightBools = Enumerable.Range(0, 256)
        .Select(bits => Enumerable.Range(0, 8).Aggregate(0UL, (word, j) => word | ((ulong)((bits >> j) & 1) << (8 * j)))).ToArray();
}
