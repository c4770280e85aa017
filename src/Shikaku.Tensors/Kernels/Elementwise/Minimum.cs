using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>Takes the smaller of <paramref name="a"/> and <paramref name="b"/> elementwise: y = min(a, b), with NumPy/TF broadcasting; any numeric dtype, both the same.</summary>
    /// <example><code>using var y = TensorOps.Minimum(x, Tensor.FromArray([1f, 2f, 3f], 3)); // (N, H, W, 3) with (3)</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, or the dtypes differ.</exception>
    public static Tensor Minimum(Tensor a, Tensor b) => Binary<MinimumOperator>(a, b, "Minimum");
}

internal readonly struct MinimumOperator : IBinaryOperator<MinimumOperator>
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => T.Min(a, b);
    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Min(a, b, y);
    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Min(a, b, y);
    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T> => TensorPrimitives.Min(b, a, y);
}
