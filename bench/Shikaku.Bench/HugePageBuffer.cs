using System.Runtime.InteropServices;

namespace Shikaku.Bench;

/// <summary>
/// Native float memory aligned to 2 MB with madvise(MADV_HUGEPAGE), the way numpy allocates arrays of
/// 4 MB and more on Linux, so both sides of the SGEMM comparison get the same kind of pages.
/// </summary>
internal sealed unsafe partial class HugePageBuffer : IDisposable
{
    private const int MadvHugePage = 14;
    private const nuint Alignment = 2 * 1024 * 1024;
    private readonly float* _data;
    private readonly int _length;

    public HugePageBuffer(int length)
    {
        _length = length;
        nuint bytes = ((nuint)length * sizeof(float) + Alignment - 1) / Alignment * Alignment;
        _data = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        if (OperatingSystem.IsLinux()) _ = Madvise((nint)_data, bytes, MadvHugePage);
    }

    public Span<float> Span => new(_data, _length);

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);

    public void Dispose() => NativeMemory.AlignedFree(_data);
}
