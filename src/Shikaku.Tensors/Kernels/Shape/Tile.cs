using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// x repeated <paramref name="multiples"/>[d] times along each dimension d (TF's Tile): the result's
    /// dimension d is x's times multiples[d]. Any dtype.
    /// </summary>
    /// <example><code>using var row = TensorOps.Tile(Tensor.FromArray([1f, 2f], 1, 2), 3, 2); // (3, 4)</code></example>
    /// <exception cref="ArgumentException">Not one multiple per dimension, or a negative one.</exception>
    public static Tensor Tile(Tensor x, params int[] multiples)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(multiples);
        if (multiples.Length != x.Rank || multiples.Any(m => m < 0))
            throw new ArgumentException($"Tile of {x.Shape}: multiples ({string.Join(", ", multiples)}) need one whole number >= 0 per dimension.", nameof(multiples));
        var dims = new int[x.Rank];
        long length = 1;
        for (int d = 0; d < x.Rank; d++)
        {
            dims[d] = (int)Math.Min((long)x.Shape[d] * multiples[d], int.MaxValue);
            length *= dims[d];
            if (length > Array.MaxLength)
                throw new ArgumentException($"Tile of {x.Shape} by ({string.Join(", ", multiples)}) would have more than {Array.MaxLength} elements.", nameof(multiples));
        }
        var y = Tensor.Uninitialized(new Shape(dims), x.DType);
        if (y.Length == 0) return y;
        switch (x.DType.ElementSize())
        {
            case 1: Repeat<byte>(x, y, dims); break;
            case 4: Repeat<int>(x, y, dims); break;
            default: Repeat<long>(x, y, dims); break;
        }
        return y;
    }

    private static void Repeat<T>(Tensor x, Tensor y, int[] dims) where T : unmanaged
    {
        var src = Elements<T>(x);
        var dst = Elements<T>(y);
        if (x.Rank == 0) src.CopyTo(dst);
        else TileDimension(src, 0, dst, 0, 0, x.Shape, dims, Broadcasting.Strides(x.Shape), Broadcasting.Strides(new Shape(dims)));
    }

    /// <summary>Writes the first copy of dimension d element by element (recursively), then repeats that block.</summary>
    private static void TileDimension<T>(ReadOnlySpan<T> src, int srcAt, Span<T> dst, int dstAt, int d, Shape shape, int[] dims,
        int[] srcStrides, int[] dstStrides) where T : unmanaged
    {
        int size = shape[d];
        if (d == shape.Rank - 1) src.Slice(srcAt, size).CopyTo(dst.Slice(dstAt));
        else
            for (int i = 0; i < size; i++)
                TileDimension(src, srcAt + i * srcStrides[d], dst, dstAt + i * dstStrides[d], d + 1, shape, dims, srcStrides, dstStrides);
        int block = size * dstStrides[d];
        var first = dst.Slice(dstAt, block);
        for (int k = 1, copies = dims[d] / size; k < copies; k++) first.CopyTo(dst.Slice(dstAt + k * block));
    }
}
