using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>Multiplies <paramref name="a"/> and <paramref name="b"/> elementwise: y = a * b, with NumPy/TF broadcasting; any numeric dtype, both the same.</summary>
    /// <example><code>using var y = TensorOps.Multiply(x, Tensor.FromArray([1f, 2f, 3f], 3)); // (N, H, W, 3) with (3)</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the dtypes differ.</exception>
    public static Tensor Multiply(Tensor a, Tensor b) => Binary<MultiplyOperator>(a, b, "Multiply");
}

internal readonly struct MultiplyOperator : IBinaryOperator<MultiplyOperator>
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => a * b;
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, y);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(a, b, y);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Multiply(b, a, y);
}
