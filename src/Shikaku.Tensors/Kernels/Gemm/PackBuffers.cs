using System.Runtime.InteropServices;

namespace Shikaku.Kernels.Gemm;

/// <summary>
/// Each thread's packing buffers for A and B: one 2 MB block, 2 MB-aligned and (on Linux) advised to
/// be a huge page, so the packed panels the micro-kernel streams through cost one TLB entry instead of
/// hundreds. Allocated on a thread's first GEMM and kept for the thread's life.
/// </summary>
internal static unsafe class PackBuffers
{
    private const nuint Size = Tensors.HugePages.Size;

    [ThreadStatic]
    private static float* _block;

    /// <summary>Room for MC x KC floats of A.</summary>
    public static float* A => Block();

    /// <summary>Room for KC x NC floats of B, after A's part (64-byte aligned).</summary>
    public static float* B => Block() + GemmDriver.MC * GemmDriver.KC;

    /// <summary>Largest wide A buffer: 8 MB (5,461 rows of depth 384).</summary>
    private const long WideLimit = 2 * 1024 * 1024;

    [ThreadStatic]
    private static float* _wide;
    [ThreadStatic]
    private static long _wideFloats;

    /// <summary>
    /// Room for <paramref name="floats"/> packed floats of A spanning many row blocks, or null when more
    /// than the limit is asked for (the caller then packs one block at a time). Grows on demand, kept for the thread's life.
    /// </summary>
    public static float* WideA(long floats)
    {
        if (floats > WideLimit) return null;
        if (floats <= _wideFloats) return _wide;
        if (_wide != null) NativeMemory.AlignedFree(_wide);
        long bytes = (floats * sizeof(float) + (long)Size - 1) / (long)Size * (long)Size;
        _wide = (float*)NativeMemory.AlignedAlloc((nuint)bytes, Size);
        Tensors.HugePages.Advise(_wide, (nuint)bytes);
        _wideFloats = bytes / sizeof(float);
        return _wide;
    }

    private static float* Block()
    {
        if (_block != null) return _block;
        _block = (float*)NativeMemory.AlignedAlloc(Size, Size);
        Tensors.HugePages.Advise(_block, Size);
        return _block;
    }

    static PackBuffers()
    {
        if ((long)(GemmDriver.MC * GemmDriver.KC + GemmDriver.KC * GemmDriver.NC) * sizeof(float) > (long)Size)
            throw new InvalidOperationException("GEMM block sizes outgrew the 2 MB packing buffer.");
    }
}
