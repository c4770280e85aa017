namespace Shikaku.Tensors;

/// <summary>
/// A contiguous float32 tensor. Image tensors are NHWC (batch, height, width, channels), as in Keras
/// and TF.js. Memory comes from a pool; dispose a tensor to give it back. <see cref="Reshape"/> makes
/// a view that shares memory; the memory is returned when the last of them is disposed.
/// </summary>
/// <example><code>
/// using var x = Tensor.Zeros(1, 28, 28, 1);
/// x[0, 3, 4, 0] = 1f;
/// using var flat = x.Reshape(1, 784);
/// </code></example>
public sealed class Tensor : IDisposable
{
    private readonly TensorStorage _storage;
    private readonly int _offset;
    private int _disposed;

    private Tensor(TensorStorage storage, int offset, Shape shape)
    {
        _storage = storage;
        _offset = offset;
        Shape = shape;
        Length = shape.Length;
    }

    /// <summary>The dimensions, outermost first.</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The elements in row-major order.</summary>
    public Span<float> Span
    {
        get
        {
            ThrowIfDisposed();
            return new Span<float>(_storage.Array, _offset, Length);
        }
    }

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] dims) => Zeros(new Shape(dims));

    /// <inheritdoc cref="Zeros(int[])"/>
    public static Tensor Zeros(Shape shape) => new(TensorStorage.Rent(shape.Length, clear: true), 0, shape);

    /// <summary>
    /// A tensor whose contents are unspecified (pooled memory, not cleared). For outputs that a
    /// kernel overwrites completely.
    /// </summary>
    public static Tensor Uninitialized(Shape shape) => new(TensorStorage.Rent(shape.Length, clear: false), 0, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var t = Uninitialized(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>Copies <paramref name="values"/> into a new tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] dims)
    {
        var shape = new Shape(dims);
        if (values.Length != shape.Length)
            throw new ArgumentException($"{values.Length} values cannot fill a tensor of shape {shape} ({shape.Length} elements).", nameof(values));
        var t = Uninitialized(shape);
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>
    /// Wraps an array the caller owns without copying. The tensor reads and writes the array directly.
    /// </summary>
    public static Tensor Wrap(float[] array, params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(array);
        var shape = new Shape(dims);
        if (array.Length < shape.Length)
            throw new ArgumentException($"An array of {array.Length} floats is too short for shape {shape} ({shape.Length} elements).", nameof(array));
        return new Tensor(TensorStorage.Wrap(array), 0, shape);
    }

    /// <summary>Element access by index, one index per dimension. For inspection and tests, not hot loops.</summary>
    public float this[params int[] index]
    {
        get => Span[FlatIndex(index)];
        set => Span[FlatIndex(index)] = value;
    }

    /// <summary>
    /// A view with another shape over the same elements (no copy). One dimension may be -1: it is
    /// inferred. Dispose the view too; the memory stays alive until all are disposed.
    /// </summary>
    public Tensor Reshape(params int[] dims)
    {
        ThrowIfDisposed();
        dims = (int[])dims.Clone();
        int infer = Array.IndexOf(dims, -1);
        if (infer >= 0)
        {
            if (Array.IndexOf(dims, -1, infer + 1) >= 0)
                throw new ArgumentException($"Reshape {FormatDims(dims)}: only one dimension may be -1.", nameof(dims));
            long known = 1;
            for (int i = 0; i < dims.Length; i++) if (i != infer) known *= dims[i];
            if (known == 0 || Length % known != 0)
                throw new ArgumentException($"Cannot reshape {Shape} ({Length} elements) to {FormatDims(dims)}.", nameof(dims));
            dims[infer] = (int)(Length / known);
        }
        var shape = new Shape(dims);
        if (shape.Length != Length)
            throw new ArgumentException($"Cannot reshape {Shape} ({Length} elements) to {shape} ({shape.Length} elements).", nameof(dims));
        _storage.AddReference();
        return new Tensor(_storage, _offset, shape);
    }

    /// <summary>
    /// A view of items <paramref name="start"/> .. start+count-1 along the first dimension (no copy),
    /// e.g. a mini-batch of a dataset.
    /// </summary>
    public Tensor Slice(int start, int count)
    {
        ThrowIfDisposed();
        if (Rank == 0) throw new InvalidOperationException("A scalar tensor cannot be sliced.");
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {start + count}) is outside the first dimension of {Shape}.");
        var dims = Shape.ToArray();
        int inner = dims[0] == 0 ? 0 : Length / dims[0];
        dims[0] = count;
        _storage.AddReference();
        return new Tensor(_storage, _offset + start * inner, new Shape(dims));
    }

    /// <summary>A deep copy with its own memory.</summary>
    public Tensor Clone()
    {
        var t = Uninitialized(Shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>The elements as a new array.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>Throws a clear error unless this tensor has exactly <paramref name="expected"/> shape.</summary>
    public void ExpectShape(Shape expected, string name)
    {
        if (Shape != expected)
            throw new ArgumentException($"{name} has shape {Shape}, expected {expected}.", name);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _storage.Release();
    }

    public override string ToString() => $"Tensor{Shape}";

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Tensor of shape {Shape} needs {Rank} indices, got {index.Length}.", nameof(index));
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i])
                throw new ArgumentOutOfRangeException(nameof(index), $"Index {index[i]} is outside dimension {i} of shape {Shape}.");
            flat = flat * Shape[i] + index[i];
        }
        return flat;
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
            throw new ObjectDisposedException(nameof(Tensor), $"This {Shape} tensor was disposed.");
    }

    private static string FormatDims(int[] dims) => "(" + string.Join(", ", dims) + ")";
}
