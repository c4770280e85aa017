using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// start, start + delta, ... up to but excluding <paramref name="limit"/> (TF's Range) as a vector of
    /// <paramref name="dtype"/> (Int32 or Int64). delta may be negative, but not 0, and must step towards the limit.
    /// </summary>
    /// <example><code>using var columns = TensorOps.Range(0, 10, 3, DType.Int32); // 0 3 6 9</code></example>
    /// <exception cref="ArgumentException">delta is 0 or points away from the limit, or the vector would be too long.</exception>
    public static Tensor Range(long start, long limit, long delta, DType dtype = DType.Int32)
    {
        if (dtype is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"Range: an integer range is int32 or int64, not {dtype.Name()}.", nameof(dtype));
        CheckRange(start, limit, delta);
        var length = (Int128.Abs((Int128)limit - start) + Int128.Abs(delta) - 1) / Int128.Abs(delta);
        var y = Tensor.Uninitialized(new Shape(RangeLength((double)length, start, limit, delta)), dtype);
        long v = start;
        if (dtype == DType.Int32) { var s = y.AsSpan<int>(); for (int i = 0; i < s.Length; i++, v += delta) s[i] = (int)v; }
        else { var s = y.AsSpan<long>(); for (int i = 0; i < s.Length; i++, v += delta) s[i] = v; }
        return y;
    }

    /// <summary>
    /// The float32 range start, start + delta, ... before <paramref name="limit"/>, ⌈|limit - start| / |delta|⌉ values,
    /// each the previous plus delta in float32 (as TF and TF.js accumulate).
    /// </summary>
    /// <example><code>using var t = TensorOps.Range(0f, 1f, 0.25f); // 0 0.25 0.5 0.75</code></example>
    /// <exception cref="ArgumentException">delta is 0 or points away from the limit, a bound is not finite, or the vector would be too long.</exception>
    public static Tensor Range(float start, float limit, float delta)
    {
        if (!float.IsFinite(start) || !float.IsFinite(limit) || !float.IsFinite(delta))
            throw new ArgumentException($"Range: start {start}, limit {limit} and delta {delta} must be finite numbers.");
        CheckRange(start, limit, delta);
        var y = Tensor.Uninitialized(new Shape(RangeLength(Math.Ceiling(Math.Abs(((double)limit - start) / delta)), start, limit, delta)));
        var s = y.Span;
        float v = start;
        for (int i = 0; i < s.Length; i++, v += delta) s[i] = v;
        return y;
    }

    private static void CheckRange(double start, double limit, double delta)
    {
        if (delta == 0) throw new ArgumentException("Range: delta is 0; it must step towards the limit.", nameof(delta));
        if (delta > 0 ? start > limit : start < limit)
            throw new ArgumentException($"Range: from {start} to {limit} a delta of {delta} steps away from the limit; with delta {(delta > 0 ? "> 0 start must be <= limit" : "< 0 start must be >= limit")}.", nameof(delta));
    }

    private static int RangeLength(double length, double start, double limit, double delta) => length <= Array.MaxLength ? (int)length
        : throw new ArgumentException($"Range from {start} to {limit} by {delta} would have {length:G4} values, more than a tensor holds ({Array.MaxLength}).");
}
