using Shikaku.Kernels.Gemm;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>
/// Single-precision matrix multiplication on row-major matrices:
/// C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose.
/// Packed, cache-blocked, register-blocked on the widest vectors the CPU has, on all cores.
/// </summary>
/// <example><code>
/// // C[2x2] = A[2x3] * B[3x2]
/// Sgemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
/// </code></example>
public static partial class Sgemm
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C. op(A) is m x k, op(B) is k x n, C is m x n.</summary>
    /// <param name="lda">Row stride of A as stored (k, or m when transposed, for a packed matrix).</param>
    /// <param name="ldb">Row stride of B as stored (n, or k when transposed).</param>
    /// <param name="ldc">Row stride of C (n for a packed matrix).</param>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ReadOnlySpan<float>.Empty, Activation.Linear);

    /// <summary>
    /// C = act(alpha * op(A) * op(B) + beta * C + bias), with the bias (one value per column) and the
    /// activation applied to each block of C while it is still in cache.
    /// </summary>
    public static unsafe void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, Activation activation)
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (!bias.IsEmpty && bias.Length < n)
            throw new ArgumentException($"Bias has {bias.Length} values but C has {n} columns.", nameof(bias));
        activation.ExpectChannels(n, "a matrix product");
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var epilogue = new GemmEpilogue(bias.IsEmpty ? null : pbias, activation);
            GemmDriver.Run(new DenseA(pa, lda, transposeA), pb, ldb, transposeB, pc, ldc, m, n, k, alpha, beta, epilogue);
        }
    }

    /// <summary>Matrix product of two rank-2 tensors: [m, k] x [k, n] -> new [m, n].</summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || b.Rank != 2)
            throw new ArgumentException($"MatMul needs two matrices, got shapes {a.Shape} and {b.Shape}.");
        int m = transposeA ? a.Shape[1] : a.Shape[0], k = transposeA ? a.Shape[0] : a.Shape[1];
        int kb = transposeB ? b.Shape[1] : b.Shape[0], n = transposeB ? b.Shape[0] : b.Shape[1];
        if (k != kb)
            throw new ArgumentException($"MatMul: inner dimensions differ ({a.Shape}{(transposeA ? "ᵀ" : "")} x {b.Shape}{(transposeB ? "ᵀ" : "")}: {k} vs {kb}).");
        var c = Tensor.Uninitialized(new Shape(m, n));
        Multiply(transposeA, transposeB, m, n, k, 1f, a.Span, a.Shape[1], b.Span, b.Shape[1], 0f, c.Span, n);
        return c;
    }

    internal static void Validate(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM sizes must be non-negative: m={m}, n={n}, k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        CheckOperand("A", aRows, aCols, aLength, lda);
        CheckOperand("B", bRows, bCols, bLength, ldb);
        CheckOperand("C", m, n, cLength, ldc);
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols)
            throw new ArgumentException($"Row stride of {name} ({ld}) is smaller than its {cols} columns.", "ld" + name.ToLowerInvariant());
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} holds {length} floats but a {rows}x{cols} matrix with row stride {ld} needs {needed}.", name.ToLowerInvariant());
    }
}
