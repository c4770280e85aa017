using System.Numerics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// y = a ^ b elementwise with broadcasting. Float32 as <see cref="MathF.Pow"/>; integers by repeated squaring
    /// (wrapping on overflow, as TF), where a negative exponent is an error.
    /// </summary>
    /// <example><code>using var y = TensorOps.Pow(x, Tensor.FromArray([2f], 1));</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, the dtypes differ, or an integer exponent is negative.</exception>
    public static Tensor Pow(Tensor a, Tensor b) => Binary<PowOperator>(a, b, "Pow");
}

internal readonly struct PowOperator : IBinaryOperator<PowOperator>
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T>
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
