using System.Runtime.CompilerServices;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// Where GEMM's left operand comes from. Packing copies an mc x kc block into micro-panels of MR rows
/// (for each k, MR consecutive floats; rows past mc are zero) so the micro-kernel reads it linearly.
/// Convolution supplies an implementation that reads the image directly (implicit im2col).
/// </summary>
internal unsafe interface IPackA
{
    void Pack(int i0, int mc, int p0, int kc, int mr, float* dest);
}

/// <summary>A dense row-major matrix, optionally transposed: A[i, p] = a[i*lda + p] (or a[p*lda + i]).</summary>
internal readonly unsafe struct DenseA(float* a, int lda, bool transposed) : IPackA
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int i0, int mc, int p0, int kc, int mr, float* dest)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            if (transposed)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(p0 + p) * lda + i0 + ir;
                    float* d = dest + p * mr;
                    int i = 0;
                    for (; i < rows; i++) d[i] = src[i];
                    for (; i < mr; i++) d[i] = 0f;
                }
            }
            else
            {
                for (int i = 0; i < rows; i++)
                {
                    float* src = a + (long)(i0 + ir + i) * lda + p0;
                    for (int p = 0; p < kc; p++) dest[p * mr + i] = src[p];
                }
                for (int i = rows; i < mr; i++)
                    for (int p = 0; p < kc; p++) dest[p * mr + i] = 0f;
            }
            dest += kc * mr;
        }
    }
}

/// <summary>
/// Packs a kc x nc block of the right operand into micro-panels of NR columns (for each k, NR
/// consecutive floats; columns past nc are zero). B[p, j] = b[p*ldb + j] (or b[j*ldb + p] transposed).
/// </summary>
internal static unsafe class PackB
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* b, int ldb, bool transposed, int p0, int kc, int j0, int nc, int nr, float* dest)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            if (!transposed)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0 + jr;
                    float* d = dest + p * nr;
                    if (cols == nr)
                    {
                        Unsafe.CopyBlockUnaligned(d, src, (uint)(nr * sizeof(float)));
                    }
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (long)(j0 + jr + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) dest[p * nr + j] = src[p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) dest[p * nr + j] = 0f;
            }
            dest += kc * nr;
        }
    }
}
