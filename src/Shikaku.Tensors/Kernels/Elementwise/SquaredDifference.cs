using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>y = (a - b)² elementwise with broadcasting (TF's SquaredDifference, used by its layer norm); any numeric dtype.</summary>
    /// <example><code>using var d = TensorOps.SquaredDifference(x, mean);</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the dtypes differ.</exception>
    public static Tensor SquaredDifference(Tensor a, Tensor b) => Binary<SquaredDifferenceOperator>(a, b, "SquaredDifference");
}

internal readonly struct SquaredDifferenceOperator : IBinaryOperator<SquaredDifferenceOperator>
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => (a - b) * (a - b);

    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        TensorPrimitives.Subtract(a, b, y);
        TensorPrimitives.Multiply(y, y, y);
    }

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, INumber<T>
    {
        TensorPrimitives.Subtract(a, b, y);
        TensorPrimitives.Multiply(y, y, y);
    }

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        TensorPrimitives.Subtract(a, b, y);
        TensorPrimitives.Multiply(y, y, y);
    }
}
