using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>y = -x; float32, int32, int64 (integers wrap, as TF).</summary>
    public static Tensor Negate(Tensor x) => Signed(x, "Negate",
        static (s, d) => TensorPrimitives.Negate(s, d),
        static (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = unchecked(-s[i]); },
        static (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = unchecked(-s[i]); });

    /// <summary>y = |x|; float32, int32, int64 (the most negative integer stays itself, as TF).</summary>
    public static Tensor Abs(Tensor x) => Signed(x, "Abs",
        static (s, d) => TensorPrimitives.Abs(s, d),
        static (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = s[i] < 0 ? unchecked(-s[i]) : s[i]; },
        static (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = s[i] < 0 ? unchecked(-s[i]) : s[i]; });

    /// <summary>y = x²; float32, int32, int64.</summary>
    public static Tensor Square(Tensor x) => Signed(x, "Square",
        static (s, d) => TensorPrimitives.Multiply(s, s, d),
        static (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = unchecked(s[i] * s[i]); },
        static (s, d) => { for (int i = 0; i < d.Length; i++) d[i] = unchecked(s[i] * s[i]); });

    /// <summary>y = eˣ (float32).</summary>
    public static Tensor Exp(Tensor x) => Float(x, "Exp", static (s, d) => TensorPrimitives.Exp(s, d));

    /// <summary>y = ln x (float32; ln 0 = -∞, negative x gives NaN).</summary>
    public static Tensor Log(Tensor x) => Float(x, "Log", static (s, d) => TensorPrimitives.Log(s, d));

    /// <summary>y = √x (float32).</summary>
    public static Tensor Sqrt(Tensor x) => Float(x, "Sqrt", static (s, d) => TensorPrimitives.Sqrt(s, d));

    /// <summary>y = 1 / √x (float32), exactly, not an estimate.</summary>
    public static Tensor Rsqrt(Tensor x) => Float(x, "Rsqrt", static (s, d) =>
    {
        TensorPrimitives.Sqrt(s, d);
        TensorPrimitives.Divide(1f, d, d);
    });

    /// <summary>y = 1 / x (float32).</summary>
    public static Tensor Reciprocal(Tensor x) => Float(x, "Reciprocal", static (s, d) => TensorPrimitives.Divide(1f, s, d));

    /// <summary>y = ⌊x⌋ (float32).</summary>
    public static Tensor Floor(Tensor x) => Float(x, "Floor", static (s, d) => TensorPrimitives.Floor(s, d));

    /// <summary>y = ⌈x⌉ (float32).</summary>
    public static Tensor Ceil(Tensor x) => Float(x, "Ceil", static (s, d) => TensorPrimitives.Ceiling(s, d));

    /// <summary>x rounded to the nearest integer, halves to even (banker's rounding, as TF's Round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2).</summary>
    public static Tensor Round(Tensor x) => Float(x, "Round", static (s, d) => TensorPrimitives.Round(s, MidpointRounding.ToEven, d));

    private delegate void SpanMap<T>(ReadOnlySpan<T> source, Span<T> destination);

    private static Tensor Float(Tensor x, string name, SpanMap<float> map)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.DType != DType.Float32)
            throw new ArgumentException($"{name} works on float32, but x is a {x.DType.Name()} tensor of shape {x.Shape}; cast it first (TensorOps.Cast).", nameof(x));
        var y = Tensor.Uninitialized(x.Shape);
        map(x.Span, y.Span);
        return y;
    }

    private static Tensor Signed(Tensor x, string name, SpanMap<float> f, SpanMap<int> i, SpanMap<long> l)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = x.DType switch
        {
            DType.Float32 or DType.Int32 or DType.Int64 => Tensor.Uninitialized(x.Shape, x.DType),
            _ => throw new ArgumentException($"{name} works on float32, int32 and int64, but x is a {x.DType.Name()} tensor of shape {x.Shape}; cast it first (TensorOps.Cast).", nameof(x)),
        };
        switch (x.DType)
        {
            case DType.Float32: f(x.Span, y.Span); break;
            case DType.Int32: i(x.AsSpan<int>(), y.AsSpan<int>()); break;
            default: l(x.AsSpan<long>(), y.AsSpan<long>()); break;
        }
        return y;
    }
}
