using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// The block starting at <paramref name="begin"/> with <paramref name="size"/> elements per dimension
    /// (TF's Slice; a size of -1 runs to the end). Any dtype; a copy, not a view.
    /// </summary>
    /// <example><code>using var crop = TensorOps.Slice(image, [0, 10, 20, 0], [1, 64, 64, -1]);</code></example>
    /// <exception cref="ArgumentException">The block is not inside the tensor.</exception>
    public static Tensor Slice(Tensor x, int[] begin, int[] size)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(size);
        int rank = x.Rank;
        if (begin.Length != rank || size.Length != rank)
            throw new ArgumentException($"Slice of {x.Shape}: begin ({string.Join(", ", begin)}) and size ({string.Join(", ", size)}) need {rank} values each.");
        var counts = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int n = size[d] == -1 ? x.Shape[d] - begin[d] : size[d];
            if (begin[d] < 0 || n < 0 || begin[d] + (long)n > x.Shape[d])
                throw new ArgumentException($"Slice of {x.Shape}: dimension {d} from {begin[d]} with size {size[d]} is outside 0..{x.Shape[d]}.");
            counts[d] = n;
        }
        return Strided(x, begin, Enumerable.Repeat(1, rank).ToArray(), counts);
    }

    /// <summary>
    /// TF's StridedSlice: per entry, elements begin, begin+stride, ... before end (negative values count from the
    /// end, negative strides walk backwards, out-of-range bounds are clamped). Bit i of a mask refers to entry i:
    /// <paramref name="beginMask"/>/<paramref name="endMask"/> ignore that begin/end (the whole range in the stride's
    /// direction), <paramref name="ellipsisMask"/> makes the entry stand for every dimension not otherwise named,
    /// <paramref name="newAxisMask"/> inserts a dimension of 1, <paramref name="shrinkAxisMask"/> takes the single
    /// index begin and drops the dimension. Without an ellipsis, dimensions past the entries are taken whole.
    /// </summary>
    /// <example><code>// x[..., ::-1] (reverse the channels): one ellipsis entry and one with stride -1
    /// using var bgr = TensorOps.StridedSlice(rgb, [0, 0], [0, 0], [1, -1], beginMask: 2, endMask: 2, ellipsisMask: 1);</code></example>
    /// <exception cref="ArgumentException">The entries disagree in number, a stride is 0, or a shrunk index is outside its dimension.</exception>
    public static Tensor StridedSlice(Tensor x, int[] begin, int[] end, int[]? strides = null,
        int beginMask = 0, int endMask = 0, int ellipsisMask = 0, int newAxisMask = 0, int shrinkAxisMask = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        strides ??= Enumerable.Repeat(1, begin.Length).ToArray();
        int entries = begin.Length, rank = x.Rank;
        if (end.Length != entries || strides.Length != entries)
            throw new ArgumentException($"StridedSlice: begin, end and strides have {begin.Length}, {end.Length} and {strides.Length} values; they need the same number.");
        bool Bit(int mask, int i) => (mask >> i & 1) != 0;
        int ellipsis = Enumerable.Range(0, entries).FirstOrDefault(i => Bit(ellipsisMask, i), -1);
        if (Enumerable.Range(0, entries).Count(i => Bit(ellipsisMask, i)) > 1)
            throw new ArgumentException($"StridedSlice: ellipsis_mask {ellipsisMask} marks more than one entry; a slice has at most one ellipsis.", nameof(ellipsisMask));
        // Dimensions of x the entries name directly (new axes name none); the ellipsis stands for the rest.
        int named = Enumerable.Range(0, entries).Count(i => i != ellipsis && !(Bit(newAxisMask, i) && !Bit(ellipsisMask, i)));
        if (named > rank)
            throw new ArgumentException($"StridedSlice of {x.Shape}: {named} entries name dimensions, but the tensor has {rank}.");
        var starts = new int[rank];
        var steps = new int[rank];
        var counts = new int[rank];
        var outDims = new List<int>();
        int d = 0;
        void Whole(int dim)
        {
            starts[dim] = 0; steps[dim] = 1; counts[dim] = x.Shape[dim];
            outDims.Add(x.Shape[dim]);
        }
        for (int i = 0; i < entries; i++)
        {
            if (i == ellipsis)
            {
                for (int k = 0; k < rank - named; k++) Whole(d++);
                continue;
            }
            if (Bit(newAxisMask, i))
            {
                outDims.Add(1);
                continue;
            }
            int size = x.Shape[d], stride = strides[i];
            if (stride == 0) throw new ArgumentException($"StridedSlice: the stride of entry {i} is 0; strides must be nonzero.", nameof(strides));
            if (Bit(shrinkAxisMask, i))
            {
                int index = begin[i] < 0 ? begin[i] + size : begin[i];
                if ((uint)index >= (uint)size)
                    throw new ArgumentException($"StridedSlice of {x.Shape}: index {begin[i]} (entry {i}) is outside dimension {d} of size {size}.", nameof(begin));
                starts[d] = index; steps[d] = 1; counts[d] = 1;
                d++;
                continue;
            }
            int lo = stride > 0 ? 0 : -1, hi = stride > 0 ? size : size - 1;
            int Bound(int v, bool masked, bool isBegin)
            {
                if (masked) return isBegin == stride > 0 ? lo : hi;
                long r = v < 0 ? (long)v + size : v;
                return (int)Math.Clamp(r, lo, hi);
            }
            int start = Bound(begin[i], Bit(beginMask, i), isBegin: true);
            int stop = Bound(end[i], Bit(endMask, i), isBegin: false);
            long span = stride > 0 ? stop - start : start - stop;
            int step = Math.Abs(stride);
            int count = span <= 0 ? 0 : (int)((span + step - 1) / step);
            starts[d] = start; steps[d] = stride; counts[d] = count;
            outDims.Add(count);
            d++;
        }
        while (d < rank) Whole(d++);
        using var block = Strided(x, starts, steps, counts);
        return block.Reshape([.. outDims]);
    }

    /// <summary>Copies the elements start[d] + k * step[d], k &lt; count[d], of every dimension d.</summary>
    internal static Tensor Strided(Tensor x, int[] start, int[] step, int[] count)
    {
        var shape = new Shape(count);
        var y = Tensor.Uninitialized(shape, x.DType);
        if (shape.Length == 0) return y;
        var inStrides = Broadcasting.Strides(x.Shape);
        int origin = 0;
        var strides = new int[x.Rank];
        for (int d = 0; d < x.Rank; d++)
        {
            origin += start[d] * inStrides[d];
            strides[d] = step[d] * inStrides[d];
        }
        var walk = new StridedWalk(count, Broadcasting.Strides(shape), strides);
        switch (x.DType.ElementSize())
        {
            case 1: CopyStrided(Elements<byte>(x), Elements<byte>(y), walk, origin); break;
            case 4: CopyStrided(Elements<int>(x), Elements<int>(y), walk, origin); break;
            default: CopyStrided(Elements<long>(x), Elements<long>(y), walk, origin); break;
        }
        return y;
    }
}
