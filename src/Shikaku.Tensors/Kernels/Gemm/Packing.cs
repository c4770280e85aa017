using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

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
        float** rowPtrs = stackalloc float*[mr];
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            if (transposed)
            {
                // Each k is a contiguous run of the rows in the source.
                for (int p = 0; p < kc; p++)
                {
                    float* d = dest + p * mr;
                    Unsafe.CopyBlockUnaligned(d, a + (long)(p0 + p) * lda + i0 + ir, (uint)(rows * sizeof(float)));
                    if (rows < mr) new Span<float>(d + rows, mr - rows).Clear();
                }
            }
            else
            {
                for (int i = 0; i < mr; i++)
                    rowPtrs[i] = i < rows ? a + (long)(i0 + ir + i) * lda + p0 : PackRows.Zeros;
                PackRows.Interleave(rowPtrs, mr, kc, dest);
            }
            dest += kc * mr;
        }
    }
}

/// <summary>
/// Interleaves MR row-major rows into one micro-panel: dest[p*mr + i] = rows[i][p]. Four rows by
/// four columns at a time go through a 4x4 register transpose, so reads and writes are whole vectors.
/// </summary>
internal static unsafe class PackRows
{
    /// <summary>A pinned row of zeros, at least <see cref="GemmDriver.KC"/> long, for padding rows.</summary>
    public static readonly float* Zeros = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(4096 * sizeof(float), 64);

    static PackRows() => new Span<float>(Zeros, 4096).Clear();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Interleave(float** rows, int mr, int kc, float* dest)
    {
        int p = 0;
        int full = mr & ~3; // rows handled four at a time; the rest (mr = 6 on AVX2) one by one
        if (Sse.IsSupported && full > 0 && Engine.Simd > SimdLevel.Scalar)
        {
            for (; p + 4 <= kc; p += 4)
            {
                float* d = dest + p * mr;
                for (int g = 0; g < full; g += 4)
                {
                    var r0 = Sse.LoadVector128(rows[g] + p);
                    var r1 = Sse.LoadVector128(rows[g + 1] + p);
                    var r2 = Sse.LoadVector128(rows[g + 2] + p);
                    var r3 = Sse.LoadVector128(rows[g + 3] + p);
                    var t0 = Sse.UnpackLow(r0, r1);   // a0 b0 a1 b1
                    var t1 = Sse.UnpackLow(r2, r3);   // c0 d0 c1 d1
                    var t2 = Sse.UnpackHigh(r0, r1);  // a2 b2 a3 b3
                    var t3 = Sse.UnpackHigh(r2, r3);  // c2 d2 c3 d3
                    Sse.Store(d + g, Sse.MoveLowToHigh(t0, t1));
                    Sse.Store(d + mr + g, Sse.MoveHighToLow(t1, t0));
                    Sse.Store(d + 2 * mr + g, Sse.MoveLowToHigh(t2, t3));
                    Sse.Store(d + 3 * mr + g, Sse.MoveHighToLow(t3, t2));
                }
                for (int i = full; i < mr; i++)
                {
                    float* r = rows[i] + p;
                    d[i] = r[0];
                    d[mr + i] = r[1];
                    d[2 * mr + i] = r[2];
                    d[3 * mr + i] = r[3];
                }
            }
        }
        for (; p < kc; p++)
        {
            float* d = dest + p * mr;
            for (int i = 0; i < mr; i++) d[i] = rows[i][p];
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
        if (!transposed)
        {
            // Row by row: each source row is read once, contiguously (rows of a wide B are pages apart,
            // so walking down a column panel would touch a new page on every row).
            int full = nc / nr * nr;
            for (int p = 0; p < kc; p++)
            {
                float* src = b + (long)(p0 + p) * ldb + j0;
                float* d = dest + p * nr;
                for (int jr = 0; jr < full; jr += nr)
                    Unsafe.CopyBlockUnaligned(d + (long)jr * kc, src + jr, (uint)(nr * sizeof(float)));
                if (full < nc)
                {
                    float* dp = d + (long)full * kc;
                    int j = 0;
                    for (; j < nc - full; j++) dp[j] = src[full + j];
                    for (; j < nr; j++) dp[j] = 0f;
                }
            }
            return;
        }
        // Transposed: each column of the panel is a contiguous row of b, so a panel is the same
        // interleave as A's micro-panels, with NR rows (padding columns read zeros).
        float** colPtrs = stackalloc float*[nr];
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            for (int j = 0; j < nr; j++)
                colPtrs[j] = j < cols ? b + (long)(j0 + jr + j) * ldb + p0 : PackRows.Zeros;
            PackRows.Interleave(colPtrs, nr, kc, dest);
            dest += kc * nr;
        }
    }
}
