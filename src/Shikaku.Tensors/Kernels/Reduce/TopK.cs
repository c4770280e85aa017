using System.Numerics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

public static partial class TensorOps
{
    /// <summary>
    /// The <paramref name="k"/> largest values along the last axis, largest first, and their positions (Int32), as
    /// TF's TopKV2 with sorted = true: equal values keep their order (the lower index first). Float32, int32, int64
    /// and uint8; a float NaN counts as smaller than every number. A bounded heap per row: O(n log k).
    /// </summary>
    /// <example><code>var (scores, where) = TensorOps.TopK(heatmap.Reshape(1, -1), 100);</code></example>
    /// <exception cref="ArgumentException">x is a scalar or bool, or k is negative or more than the last dimension.</exception>
    public static (Tensor Values, Tensor Indices) TopK(Tensor x, int k)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0) throw new ArgumentException("TopK: x is a scalar; it needs a last axis to choose along.", nameof(x));
        int n = x.Shape[x.Rank - 1];
        if (k < 0 || k > n) throw new ArgumentException($"TopK: k = {k} must be within 0..{n} (the last dimension of {x.Shape}).", nameof(k));
        var dims = x.Shape.ToArray();
        dims[^1] = k;
        var values = Tensor.Uninitialized(new Shape(dims), x.DType);
        var indices = Tensor.Uninitialized(new Shape(dims), DType.Int32);
        switch (x.DType)
        {
            case DType.Float32: Top<float>(x.Span, values.Span, indices.AsSpan<int>(), n, k); break;
            case DType.Int32: Top<int>(x.AsSpan<int>(), values.AsSpan<int>(), indices.AsSpan<int>(), n, k); break;
            case DType.Int64: Top<long>(x.AsSpan<long>(), values.AsSpan<long>(), indices.AsSpan<int>(), n, k); break;
            case DType.UInt8: Top<byte>(x.AsSpan<byte>(), values.AsSpan<byte>(), indices.AsSpan<int>(), n, k); break;
            default:
                values.Dispose();
                indices.Dispose();
                throw new ArgumentException($"TopK needs numbers, but x is a bool tensor of shape {x.Shape}; cast it (TensorOps.Cast) first.", nameof(x));
        }
        return (values, indices);
    }

    private static void Top<T>(ReadOnlySpan<T> x, Span<T> values, Span<int> indices, int n, int k) where T : unmanaged, INumber<T>
    {
        if (k == 0) return;
        var heap = new int[k]; // positions; heap[0] is the worst of the best k so far
        int rows = n == 0 ? 0 : x.Length / n;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * n, n);
            for (int i = 0; i < k; i++) heap[i] = i;
            for (int i = k / 2 - 1; i >= 0; i--) SiftDown(row, heap, i, k);
            // A later value replaces the worst only when strictly above it (on a tie the earlier one ranks higher), so
            // the scan compares with one number, and skips a vector of values at once when none is above it (a
            // heat map of 1.3 M scores for the best 100 replaces a few hundred times). A NaN worst is below every number.
            T worst = row[heap[0]];
            int width = Vector<T>.Count;
            for (int i = k; i < n;)
            {
                if (Vector.IsHardwareAccelerated && i + width <= n && !T.IsNaN(worst)
                    && !Vector.GreaterThanAny(new Vector<T>(row.Slice(i, width)), new Vector<T>(worst)))
                {
                    i += width;
                    continue;
                }
                for (int end = Math.Min(n, i + width); i < end; i++)
                    if (row[i].CompareTo(worst) > 0)
                    {
                        heap[0] = i;
                        SiftDown(row, heap, 0, k);
                        worst = row[heap[0]];
                    }
            }
            // Pop the worst to the back: the heap array ends best first.
            for (int size = k - 1; size > 0; size--)
            {
                (heap[0], heap[size]) = (heap[size], heap[0]);
                SiftDown(row, heap, 0, size);
            }
            var v = values.Slice(r * k, k);
            var at = indices.Slice(r * k, k);
            for (int i = 0; i < k; i++)
            {
                at[i] = heap[i];
                v[i] = row[heap[i]];
            }
        }
    }

    /// <summary>Whether row[a] ranks below row[b]: smaller, or equal and later (CompareTo orders NaN below every number).</summary>
    private static bool Below<T>(ReadOnlySpan<T> row, int a, int b) where T : unmanaged, INumber<T>
    {
        int c = row[a].CompareTo(row[b]);
        return c < 0 || c == 0 && a > b;
    }

    private static void SiftDown<T>(ReadOnlySpan<T> row, int[] heap, int i, int size) where T : unmanaged, INumber<T>
    {
        while (true)
        {
            int worst = i, l = 2 * i + 1, r = l + 1;
            if (l < size && Below(row, heap[l], heap[worst])) worst = l;
            if (r < size && Below(row, heap[r], heap[worst])) worst = r;
            if (worst == i) return;
            (heap[i], heap[worst]) = (heap[worst], heap[i]);
            i = worst;
        }
    }
}
