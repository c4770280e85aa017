using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

/// <summary>
/// Operations on whole tensors of any dtype, as imported graphs (TF.js, ONNX) use them: broadcasting
/// elementwise arithmetic and comparisons, shape operations (concat, transpose, slices, gather, tile,
/// pad, cast) and reductions. Each operation returns a new tensor that the caller disposes. One file per
/// operation; the naive references they are tested against live in the test project.
/// </summary>
/// <example><code>
/// using var y = TensorOps.Add(images, mean.Reshape(3)); // (N, H, W, 3) + (3)
/// using var best = TensorOps.ArgMax(scores, axis: -1);
/// </code></example>
public static partial class TensorOps
{
    /// <summary>a + b elementwise with NumPy/TF broadcasting; any numeric dtype, both the same.</summary>
    /// <example><code>using var y = TensorOps.Add(x, Tensor.FromArray([1f, 2f, 3f], 3)); // (N, H, W, 3) with (3)</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the dtypes differ.</exception>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Add);

    /// <summary>a - b elementwise with broadcasting.</summary>
    public static Tensor Subtract(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Subtract);

    /// <summary>a * b elementwise with broadcasting.</summary>
    public static Tensor Multiply(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Multiply);

    /// <summary>
    /// a / b elementwise with broadcasting. Integers divide truncating toward zero (as C, TF's Div and ONNX);
    /// an integer division by zero is an error. Float32 follows IEEE (x / 0 is an infinity).
    /// </summary>
    public static Tensor Divide(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Divide);

    /// <summary>
    /// ⌊a / b⌋ elementwise with broadcasting (TF's FloorDiv): the quotient rounded toward -∞, so -7 // 2 = -4.
    /// Float32 floors the IEEE quotient; an integer division by zero is an error.
    /// </summary>
    public static Tensor FloorDivide(Tensor a, Tensor b) => Binary(a, b, BinaryKind.FloorDivide);

    /// <summary>
    /// a - ⌊a / b⌋ b elementwise with broadcasting (TF's FloorMod, Python's %): the remainder takes the sign of
    /// b, so -7 mod 2 = 1 and 7 mod -2 = -1. Float32 as TF (fmod, then b added when the signs differ); an
    /// integer division by zero is an error.
    /// </summary>
    public static Tensor FloorMod(Tensor a, Tensor b) => Binary(a, b, BinaryKind.FloorMod);

    /// <summary>The larger of a and b elementwise with broadcasting (NaN wins, as TF).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Maximum);

    /// <summary>The smaller of a and b elementwise with broadcasting (NaN wins, as TF).</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Minimum);

    /// <summary>
    /// a ^ b elementwise with broadcasting. Float32 as <see cref="MathF.Pow"/>; integers by repeated squaring
    /// (wrapping on overflow, as TF), where a negative exponent is an error.
    /// </summary>
    public static Tensor Pow(Tensor a, Tensor b) => Binary(a, b, BinaryKind.Pow);

    /// <summary>(a - b)² elementwise with broadcasting (TF's SquaredDifference, used by its layer norm).</summary>
    public static Tensor SquaredDifference(Tensor a, Tensor b) => Binary(a, b, BinaryKind.SquaredDifference);

    /// <summary>
    /// Runs a broadcasting binary operation. Vectorised paths: same shapes (one call over the whole span), a scalar
    /// on either side, and any pattern whose merged innermost dimension is contiguous in both (per-channel-last:
    /// (N, H, W, C) with (C)), which runs one vector call per row. A broadcast scalar or element is first copied
    /// into a small buffer that stays in L1, so that every path runs the same span-with-span vector code.
    /// </summary>
    private static Tensor Binary(Tensor a, Tensor b, BinaryKind kind)
    {
        string name = kind.ToString();
        var shape = Broadcasting.Operands(a, b, name);
        var y = Tensor.Uninitialized(shape, a.DType);
        try
        {
            switch (a.DType)
            {
                case DType.Float32: Run<float>(a.Span, a.Shape, b.Span, b.Shape, y.Span, shape, kind); break;
                case DType.Int32: Run<int>(a.AsSpan<int>(), a.Shape, b.AsSpan<int>(), b.Shape, y.AsSpan<int>(), shape, kind); break;
                case DType.Int64: Run<long>(a.AsSpan<long>(), a.Shape, b.AsSpan<long>(), b.Shape, y.AsSpan<long>(), shape, kind); break;
                case DType.UInt8: Run<byte>(a.AsSpan<byte>(), a.Shape, b.AsSpan<byte>(), b.Shape, y.AsSpan<byte>(), shape, kind); break;
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

    private const int Chunk = 256;

    private static void Run<T>(ReadOnlySpan<T> a, Shape sa, ReadOnlySpan<T> b, Shape sb, Span<T> y, Shape sy, BinaryKind kind)
        where T : unmanaged, INumber<T>
    {
        if (y.IsEmpty) return;
        if (sa == sb) { Apply(a, b, y, kind); return; }
        Span<T> repeated = stackalloc T[Chunk];
        if (b.Length == 1 && a.Length == y.Length) { WithScalar(a, b[0], y, kind, scalarFirst: false, repeated); return; }
        if (a.Length == 1 && b.Length == y.Length) { WithScalar(b, a[0], y, kind, scalarFirst: true, repeated); return; }
        var walk = new StridedWalk(sy.ToArray(), Broadcasting.Strides(sy), Broadcasting.Strides(sa, sy), Broadcasting.Strides(sb, sy));
        int n = walk.RowLength;
        bool aRow = walk.InnerStride(1) != 0, bRow = walk.InnerStride(2) != 0;
        var o = walk.Offsets;
        for (int r = 0; r < walk.Rows; r++, walk.Next())
        {
            var yr = y.Slice(o[0], n);
            if (aRow && bRow) Apply(a.Slice(o[1], n), b.Slice(o[2], n), yr, kind);
            else if (aRow) WithScalar(a.Slice(o[1], n), b[o[2]], yr, kind, scalarFirst: false, repeated);
            else if (bRow) WithScalar(b.Slice(o[2], n), a[o[1]], yr, kind, scalarFirst: true, repeated);
            else yr.Fill(Scalar(a[o[1]], b[o[2]], kind));
        }
    }

    /// <summary>The span with one broadcast value, in chunks against a buffer holding that value.</summary>
    private static void WithScalar<T>(ReadOnlySpan<T> x, T scalar, Span<T> y, BinaryKind kind, bool scalarFirst, Span<T> repeated)
        where T : unmanaged, INumber<T>
    {
        repeated.Fill(scalar);
        for (int i = 0; i < y.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, y.Length - i);
            if (scalarFirst) Apply(repeated[..n], x.Slice(i, n), y.Slice(i, n), kind);
            else Apply(x.Slice(i, n), repeated[..n], y.Slice(i, n), kind);
        }
    }

    /// <summary>y = a op b over spans of one length: TensorPrimitives' vector code where it has the operation.</summary>
    private static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, BinaryKind kind) where T : unmanaged, INumber<T>
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Subtract: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Multiply: TensorPrimitives.Multiply(a, b, y); break;
            case BinaryKind.Maximum: TensorPrimitives.Max(a, b, y); break;
            case BinaryKind.Minimum: TensorPrimitives.Min(a, b, y); break;
            case BinaryKind.SquaredDifference:
                TensorPrimitives.Subtract(a, b, y);
                TensorPrimitives.Multiply(y, y, y);
                break;
            case BinaryKind.Divide when typeof(T) == typeof(float):
                TensorPrimitives.Divide(a, b, y);
                break;
            default:
                for (int i = 0; i < y.Length; i++) y[i] = Scalar(a[i], b[i], kind);
                break;
        }
    }

    /// <summary>One element of the operation (integer division and powers, and rows where both sides are broadcast).</summary>
    private static T Scalar<T>(T a, T b, BinaryKind kind) where T : unmanaged, INumber<T> => kind switch
    {
        BinaryKind.Add => a + b,
        BinaryKind.Subtract => a - b,
        BinaryKind.Multiply => a * b,
        BinaryKind.Divide => a / b,
        BinaryKind.Maximum => T.Max(a, b),
        BinaryKind.Minimum => T.Min(a, b),
        BinaryKind.Pow => Power(a, b),
        BinaryKind.FloorDivide => FloorQuotient(a, b),
        BinaryKind.FloorMod => FloorRemainder(a, b),
        _ => (a - b) * (a - b),
    };

    private static T FloorQuotient<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return T.CreateTruncating(MathF.Floor(float.CreateTruncating(a) / float.CreateTruncating(b)));
        if (T.IsZero(b)) throw new DivideByZeroException();
        if (T.IsNegative(b) && b == -T.One) return T.Zero - a; // MinValue / -1 overflows in .NET; TF wraps
        T q = a / b;
        return !T.IsZero(a - q * b) && T.IsNegative(a) != T.IsNegative(b) ? q - T.One : q;
    }

    private static T FloorRemainder<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            float x = float.CreateTruncating(a), y = float.CreateTruncating(b), r = x % y; // % is C's fmod
            return T.CreateTruncating(r != 0 && (y < 0) != (r < 0) ? r + y : r);
        }
        if (T.IsZero(b)) throw new DivideByZeroException();
        if (T.IsNegative(b) && b == -T.One) return T.Zero;
        T m = a % b;
        return !T.IsZero(m) && T.IsNegative(m) != T.IsNegative(b) ? m + b : m;
    }

    private static T Power<T>(T a, T b) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return T.CreateTruncating(MathF.Pow(float.CreateTruncating(a), float.CreateTruncating(b)));
        if (T.IsNegative(b))
            throw new ArgumentException($"Pow: the integer exponent {b} is negative; integers to negative powers are not integers. Cast to float32 first.");
        T result = T.One, square = a;
        for (T e = b; !T.IsZero(e); e /= T.CreateTruncating(2))
        {
            if (T.IsOddInteger(e)) result *= square;
            square *= square;
        }
        return result;
    }
}

/// <summary>The broadcasting binary operations of <see cref="TensorOps"/>.</summary>
internal enum BinaryKind
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Maximum,
    Minimum,
    Pow,
    SquaredDifference,
    FloorDivide,
    FloorMod,
}
