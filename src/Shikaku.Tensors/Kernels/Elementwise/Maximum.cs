using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>Takes the larger of <paramref name="a"/> and <paramref name="b"/> elementwise: y = max(a, b), with NumPy/TF broadcasting; any numeric dtype, both the same.</summary>
    /// <example><code>using var y = TensorOps.Maximum(x, Tensor.FromArray([1f, 2f, 3f], 3)); // (N, H, W, 3) with (3)</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the dtypes differ.</exception>
    public static Tensor Maximum(Tensor a, Tensor b) => Binary<MaximumOperator>(a, b, "Maximum");
}

internal readonly struct MaximumOperator : IBinaryOperator<MaximumOperator>
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => T.Max(a, b);
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Max(a, b, y);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Max(a, b, y);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Max(b, a, y);
}
