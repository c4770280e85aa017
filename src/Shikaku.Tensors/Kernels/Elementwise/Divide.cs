using System.Numerics;
using System.Numerics.Tensors;
using Shikaku.Tensors;
using Tensor = Shikaku.Tensors.Tensor;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// y = a / b elementwise with broadcasting. Integers divide truncating toward zero (as C, TF's Div and
    /// ONNX); an integer division by zero is an error. Float32 follows IEEE (x / 0 is an infinity).
    /// </summary>
    /// <example><code>using var y = TensorOps.Divide(x, Tensor.FromArray([255f], 1));</code></example>
    /// <exception cref="ArgumentException">The shapes do not broadcast, the dtypes differ, or an integer divisor is 0.</exception>
    public static Tensor Divide(Tensor a, Tensor b) => Binary<DivideOperator>(a, b, "Divide");
}

internal readonly struct DivideOperator : IBinaryOperator<DivideOperator>
{
    public static T Apply<T>(T a, T b) where T : unmanaged, INumber<T> => a / b;

    public static void Apply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Divide(a, b, y);
        else for (int i = 0; i < y.Length; i++) y[i] = a[i] / b[i];
    }

    public static void Apply<T>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Divide(a, b, y);
        else for (int i = 0; i < y.Length; i++) y[i] = a[i] / b;
    }

    public static void Apply<T>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) TensorPrimitives.Divide(a, b, y);
        else for (int i = 0; i < y.Length; i++) y[i] = a / b[i];
    }
}
