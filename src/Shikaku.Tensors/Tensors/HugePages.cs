using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Shikaku.Tensors;

/// <summary>
/// Asks Linux for transparent huge pages (2 MB) on large buffers, as numpy does for arrays of 4 MB and
/// more: big tensors and GEMM panels then need far fewer TLB entries. Elsewhere, or if libc is missing,
/// this does nothing and ordinary pages are used.
/// </summary>
internal static unsafe partial class HugePages
{
    public const nuint Size = 2 * 1024 * 1024;
    private const int MadvHugePage = 14;
    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Advises every whole 2 MB page inside [address, address + bytes).</summary>
    public static void Advise(void* address, nuint bytes)
    {
        if (_unavailable) return;
        nuint start = ((nuint)address + Size - 1) & ~(Size - 1);
        nuint end = ((nuint)address + bytes) & ~(Size - 1);
        if (end <= start) return;
        try
        {
            _ = Madvise((nint)start, end - start, MadvHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}

/// <summary>
/// Pool for tensors of 4 MB and more: pinned arrays (so their pages can be advised to be huge) in
/// power-of-two sizes, a few kept per size for reuse. Smaller tensors use the shared ArrayPool.
/// </summary>
internal static unsafe class LargeArrays
{
    public const int Threshold = 1 << 20; // floats (4 MB)
    private const int KeepPerSize = 4;
    private static readonly ConcurrentDictionary<int, ConcurrentBag<float[]>> Free = new();

    public static float[] Rent(int length)
    {
        // Above 2^30 floats the next power of two is past Array.MaxLength: such a tensor gets its exact size.
        int size = length > 1 << 30 ? length : (int)BitOperations.RoundUpToPowerOf2((uint)length);
        if (Free.TryGetValue(size, out var bag) && bag.TryTake(out var reused)) return reused;
        var array = GC.AllocateUninitializedArray<float>(size, pinned: true);
        fixed (float* p = array) HugePages.Advise(p, (nuint)size * sizeof(float));
        return array;
    }

    public static void Return(float[] array)
    {
        var bag = Free.GetOrAdd(array.Length, _ => []);
        if (bag.Count < KeepPerSize) bag.Add(array);
    }
}
