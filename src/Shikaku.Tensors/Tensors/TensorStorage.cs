using System.Buffers;

namespace Shikaku.Tensors;

/// <summary>
/// A pooled float buffer shared by a tensor and its views. Reference counted: the buffer goes back
/// to the pool when the last tensor using it is disposed, so a view can never outlive its memory.
/// </summary>
internal sealed class TensorStorage
{
    private float[]? _array;
    private int _references = 1;
    private readonly bool _pooled;

    private TensorStorage(float[] array, bool pooled)
    {
        _array = array;
        _pooled = pooled;
    }

    public static TensorStorage Rent(int length, bool clear)
    {
        var array = length >= LargeArrays.Threshold ? LargeArrays.Rent(length) : ArrayPool<float>.Shared.Rent(Math.Max(length, 1));
        if (clear) System.Array.Clear(array, 0, length);
        return new TensorStorage(array, pooled: true);
    }

    /// <summary>Wraps memory the caller owns; it is never returned to the pool.</summary>
    public static TensorStorage Wrap(float[] array) => new(array, pooled: false);

    public float[] Array => _array ?? throw new ObjectDisposedException(nameof(Tensor), "This tensor was disposed; its memory has gone back to the pool.");

    public void AddReference()
    {
        if (Interlocked.Increment(ref _references) <= 1)
            throw new ObjectDisposedException(nameof(Tensor), "Cannot make a view of a disposed tensor.");
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        var array = Interlocked.Exchange(ref _array, null);
        if (array is null || !_pooled) return;
        if (array.Length >= LargeArrays.Threshold) LargeArrays.Return(array);
        else ArrayPool<float>.Shared.Return(array);
    }
}
