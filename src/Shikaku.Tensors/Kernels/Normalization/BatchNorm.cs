using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

/// <summary>Batch normalisation with fixed statistics (inference), over the last axis of NHWC data.</summary>
public static class BatchNorm
{
    /// <summary>
    /// y = (x - mean) · 1/sqrt(variance + epsilon) · scale + offset per channel, rows of <c>channels</c> values,
    /// in this order of operations (the training layer normalises the same way, so their values agree).
    /// <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    /// <example><code>BatchNorm.Inference(x.Span, mean, variance, gamma, beta, 1e-3f, y.Span);</code></example>
    public static void Inference(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, float epsilon, Span<float> y)
    {
        int c = mean.Length;
        if (c == 0 || variance.Length != c || scale.Length != c || offset.Length != c)
            throw new ArgumentException($"Batch normalisation needs mean, variance, scale and offset of one length, got {mean.Length}, {variance.Length}, {scale.Length}, {offset.Length}.");
        if (x.Length % c != 0 || y.Length < x.Length)
            throw new ArgumentException($"Batch normalisation over {c} channels cannot take {x.Length} values into {y.Length}.");
        Span<float> invStd = c <= 1024 ? stackalloc float[c] : new float[c];
        for (int j = 0; j < c; j++) invStd[j] = 1f / MathF.Sqrt(variance[j] + epsilon);
        for (int r = 0; r < x.Length; r += c)
        {
            var yr = y.Slice(r, c);
            TensorPrimitives.Subtract(x.Slice(r, c), mean, yr);
            TensorPrimitives.Multiply(yr, invStd, yr);
            TensorPrimitives.FusedMultiplyAdd(yr, scale, offset, yr);
        }
    }
}
