using System.Runtime.InteropServices;

namespace Shikaku.Bench;

/// <summary>
/// Native float memory aligned to 2 MB and advised to be huge pages (through the engine's own
/// <see cref="Shikaku.Tensors.HugePages"/>), the way numpy allocates arrays of 4 MB and more on
/// Linux, so both sides of the SGEMM comparison get the same kind of pages.
/// </summary>
internal sealed unsafe class HugePageBuffer : IDisposable
{
    private readonly float* _data;
    private readonly int _length;

    public HugePageBuffer(int length)
    {
        _length = length;
        nuint align = Shikaku.Tensors.HugePages.Size;
        nuint bytes = ((nuint)length * sizeof(float) + align - 1) / align * align;
        _data = (float*)NativeMemory.AlignedAlloc(bytes, align);
        Shikaku.Tensors.HugePages.Advise(_data, bytes);
    }

    public Span<float> Span => new(_data, _length);

    public void Dispose() => NativeMemory.AlignedFree(_data);
}
