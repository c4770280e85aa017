using System.Buffers;
using System.Runtime.CompilerServices;

namespace Shikaku.Tensors;

/// <summary>
/// A pooled buffer shared by a tensor and its views. Reference counted: the buffer goes back
/// to the pool when the last tensor using it is disposed, so a view can never outlive its memory.
/// Float32 buffers come from the float pools (huge pages for large ones); the other dtypes, which hold
/// shapes, indices and masks, from the shared pool of their element type.
/// </summary>
internal sealed class TensorStorage
{
    private Array? _array;
    private int _references = 1;
    private readonly bool _pooled;

    private TensorStorage(Array array, DType dtype, bool pooled)
    {
        _array = array;
        DType = dtype;
        _pooled = pooled;
    }

    /// <summary>The element type of the buffer.</summary>
    public DType DType { get; }

    public static TensorStorage Rent(int length, bool clear)
    {
        var array = length >= LargeArrays.Threshold ? LargeArrays.Rent(length) : ArrayPool<float>.Shared.Rent(Math.Max(length, 1));
        if (clear) System.Array.Clear(array, 0, length);
        return new TensorStorage(array, DType.Float32, pooled: true);
    }

    public static TensorStorage Rent(DType dtype, int length, bool clear)
    {
        if (dtype == DType.Float32) return Rent(length, clear);
        Array array = dtype switch
        {
            DType.Int32 => ArrayPool<int>.Shared.Rent(Math.Max(length, 1)),
            DType.Int64 => ArrayPool<long>.Shared.Rent(Math.Max(length, 1)),
            DType.Bool => ArrayPool<bool>.Shared.Rent(Math.Max(length, 1)),
            DType.UInt8 => ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
        };
        if (clear) System.Array.Clear(array, 0, length);
        return new TensorStorage(array, dtype, pooled: true);
    }

    /// <summary>Wraps memory the caller owns; it is never returned to the pool.</summary>
    public static TensorStorage Wrap(float[] array) => new(array, DType.Float32, pooled: false);

    /// <summary>Wraps an array of any element type the caller owns.</summary>
    public static TensorStorage Wrap<T>(T[] array) where T : unmanaged => new(array, DTypes.Of<T>(), pooled: false);

    /// <summary>The float buffer; only called by a tensor that has checked its dtype is Float32.</summary>
    public float[] Array => Unsafe.As<float[]>(_array ?? throw Disposed());

    /// <summary>The buffer as <typeparamref name="T"/>[]; the caller has checked that T matches <see cref="DType"/>.</summary>
    public T[] Elements<T>() where T : unmanaged => Unsafe.As<T[]>(_array ?? throw Disposed());

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
        switch (array)
        {
            case float[] f when f.Length >= LargeArrays.Threshold: LargeArrays.Return(f); break;
            case float[] f: ArrayPool<float>.Shared.Return(f); break;
            case int[] i: ArrayPool<int>.Shared.Return(i); break;
            case long[] l: ArrayPool<long>.Shared.Return(l); break;
            case bool[] b: ArrayPool<bool>.Shared.Return(b); break;
            case byte[] u: ArrayPool<byte>.Shared.Return(u); break;
        }
    }

    private static ObjectDisposedException Disposed() =>
        new(nameof(Tensor), "This tensor was disposed; its memory has gone back to the pool.");
}
