namespace Shikaku.Tensors;

/// <summary>
/// A contiguous tensor, float32 unless made with another <see cref="DType"/> (int32, int64, bool and uint8
/// hold shapes, indices, masks and image bytes). Image tensors are NHWC (batch, height, width, channels), as
/// in Keras and TF.js. Memory comes from a pool; dispose a tensor to give it back. <see cref="Reshape"/> makes
/// a view that shares memory; the memory is returned when the last of them is disposed.
/// </summary>
/// <example><code>
/// using var x = Tensor.Zeros(1, 28, 28, 1);
/// x[0, 3, 4, 0] = 1f;
/// using var flat = x.Reshape(1, 784);
/// using var ids = Tensor.FromInt32([3, 1, 2], 3);
/// int first = ids.AsSpan&lt;int&gt;()[0];
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
        DType = storage.DType;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Bytes the elements take (<see cref="Length"/> times the dtype's element size).</summary>
    public long ByteLength => (long)Length * DType.ElementSize();

    /// <summary>The dimensions, outermost first.</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The elements in row-major order; a float32 tensor only (see <see cref="AsSpan{T}"/> for the others).</summary>
    /// <exception cref="InvalidOperationException">The tensor is not float32.</exception>
    public Span<float> Span
    {
        get
        {
            ThrowIfDisposed();
            if (DType != DType.Float32) throw WrongType("Span", DType.Float32);
            return new Span<float>(_storage.Array, _offset, Length);
        }
    }

    /// <summary>
    /// The elements in row-major order as <typeparamref name="T"/>, which must match <see cref="DType"/>:
    /// float (float32), int (int32), long (int64), bool or byte (uint8).
    /// </summary>
    /// <exception cref="InvalidOperationException">T is not this tensor's element type.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        var wanted = DTypes.Of<T>();
        if (DType != wanted) throw WrongType($"AsSpan<{typeof(T).Name}>()", wanted);
        return new Span<T>(_storage.Elements<T>(), _offset, Length);
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

    /// <summary>A tensor of zeros (false for bool) of the given dtype.</summary>
    public static Tensor Zeros(Shape shape, DType dtype) => new(TensorStorage.Rent(dtype, shape.Length, clear: true), 0, shape);

    /// <summary>A tensor of the given dtype whose contents are unspecified, for outputs a kernel overwrites completely.</summary>
    public static Tensor Uninitialized(Shape shape, DType dtype) => new(TensorStorage.Rent(dtype, shape.Length, clear: false), 0, shape);

    /// <summary>Copies int32 <paramref name="values"/> into a new Int32 tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor FromInt32(ReadOnlySpan<int> values, params int[] dims) => From(values, dims);

    /// <summary>Copies int64 <paramref name="values"/> into a new Int64 tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor FromInt64(ReadOnlySpan<long> values, params int[] dims) => From(values, dims);

    /// <summary>Copies <paramref name="values"/> into a new Bool tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor FromBool(ReadOnlySpan<bool> values, params int[] dims) => From(values, dims);

    /// <summary>Copies bytes into a new UInt8 tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor FromUInt8(ReadOnlySpan<byte> values, params int[] dims) => From(values, dims);

    /// <summary>Copies values of any element type into a new tensor of the matching dtype.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor From<T>(ReadOnlySpan<T> values, params int[] dims) where T : unmanaged
    {
        var shape = new Shape(dims);
        if (values.Length != shape.Length)
            throw new ArgumentException($"{values.Length} values cannot fill a tensor of shape {shape} ({shape.Length} elements).", nameof(values));
        var t = Uninitialized(shape, DTypes.Of<T>());
        values.CopyTo(t.AsSpan<T>());
        return t;
    }

    /// <summary>Wraps an array of int, long, bool or byte the caller owns without copying.</summary>
    public static Tensor Wrap<T>(T[] array, params int[] dims) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array);
        var shape = new Shape(dims);
        if (array.Length < shape.Length)
            throw new ArgumentException($"An array of {array.Length} {typeof(T).Name} values is too short for shape {shape} ({shape.Length} elements).", nameof(array));
        return new Tensor(TensorStorage.Wrap(array), 0, shape);
    }

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

    /// <summary>A deep copy with its own memory and the same dtype.</summary>
    public Tensor Clone()
    {
        if (DType == DType.Float32)
        {
            var t = Uninitialized(Shape);
            Span.CopyTo(t.Span);
            return t;
        }
        var copy = Uninitialized(Shape, DType);
        switch (DType)
        {
            case DType.Int32: AsSpan<int>().CopyTo(copy.AsSpan<int>()); break;
            case DType.Int64: AsSpan<long>().CopyTo(copy.AsSpan<long>()); break;
            case DType.Bool: AsSpan<bool>().CopyTo(copy.AsSpan<bool>()); break;
            default: AsSpan<byte>().CopyTo(copy.AsSpan<byte>()); break;
        }
        return copy;
    }

    /// <summary>The elements as a new array; a float32 tensor only (see <see cref="ToArray{T}"/>).</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>The elements as a new array of <typeparamref name="T"/>, which must match <see cref="DType"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged => AsSpan<T>().ToArray();

    /// <summary>Throws a clear error unless this tensor has the dtype <paramref name="expected"/>.</summary>
    public void ExpectDType(DType expected, string name)
    {
        if (DType != expected)
            throw new ArgumentException($"{name} is a {DType.Name()} tensor of shape {Shape}; this operation needs {expected.Name()}. Cast it first (Cast.Run).", name);
    }

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

    public override string ToString() => DType == DType.Float32 ? $"Tensor{Shape}" : $"Tensor{Shape} {DType.Name()}";

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

    private InvalidOperationException WrongType(string accessor, DType wanted) =>
        new($"{accessor} reads {wanted.Name()} elements, but this {Shape} tensor is {DType.Name()}; use AsSpan<{ElementName(DType)}>() or cast it (Cast.Run).");

    private static string ElementName(DType dtype) => dtype switch
    {
        DType.Float32 => "float",
        DType.Int32 => "int",
        DType.Int64 => "long",
        DType.Bool => "bool",
        _ => "byte",
    };

    private static string FormatDims(int[] dims) => "(" + string.Join(", ", dims) + ")";
}
