using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>
/// NumPy/TF broadcasting: shapes are aligned at their last dimension; two dimensions agree when they are
/// equal or one of them is 1, and the result takes the larger. A missing leading dimension counts as 1.
/// </summary>
/// <example><code>var s = Broadcasting.Shape(new Shape(8, 1, 3), new Shape(5, 3)); // (8, 5, 3)</code></example>
public static class Broadcasting
{
    /// <summary>The shape both broadcast to.</summary>
    /// <exception cref="ArgumentException">A pair of dimensions differs and neither is 1; the message names both shapes.</exception>
    public static Shape Shape(Shape a, Shape b, string operation = "broadcast")
    {
        if (a == b) return a;
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = Dim(a, i - rank + a.Rank), db = Dim(b, i - rank + b.Rank);
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{operation}: shapes {a} and {b} do not broadcast: dimension {da} meets {db} (counted from the right, dimensions must be equal or 1). Reshape one of them.");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <summary>The broadcast shape of two operands of one operation, which must share a dtype.</summary>
    internal static Shape Operands(Tensor a, Tensor b, string operation)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.DType != b.DType)
            throw new ArgumentException($"{operation}: the operands are {a.DType.Name()} {a.Shape} and {b.DType.Name()} {b.Shape}; cast one of them (TensorOps.Cast) so the dtypes agree.");
        return Shape(a.Shape, b.Shape, operation);
    }

    private static int Dim(Shape s, int i) => i < 0 ? 1 : s[i];

    /// <summary>Row-major strides of <paramref name="operand"/> seen through <paramref name="output"/>'s dimensions (0 where it is broadcast).</summary>
    internal static int[] Strides(Shape operand, Shape output)
    {
        int rank = output.Rank, offset = rank - operand.Rank;
        var strides = new int[rank];
        int stride = 1;
        for (int i = operand.Rank - 1; i >= 0; i--)
        {
            strides[i + offset] = operand[i] == 1 ? 0 : stride;
            stride *= operand[i];
        }
        return strides;
    }

    /// <summary>Row-major strides of a shape.</summary>
    internal static int[] Strides(Shape shape)
    {
        var strides = new int[shape.Rank];
        int stride = 1;
        for (int i = shape.Rank - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= shape[i];
        }
        return strides;
    }
}

/// <summary>
/// A walk over an output's elements row by row, with the offset of each operand. Dimensions of size 1 are
/// dropped and neighbours that every operand steps through contiguously are merged, so (N, H, W, C) + (C)
/// becomes rows of C and a same-shape operation becomes one row: the innermost loop is as long as possible.
/// </summary>
internal sealed class StridedWalk
{
    private readonly int[] _dims;
    private readonly int[][] _strides;
    private readonly int[] _index;

    /// <param name="dims">The output's dimensions.</param>
    /// <param name="strides">Per operand, its stride along each output dimension (0 where broadcast).</param>
    public StridedWalk(int[] dims, params int[][] strides)
    {
        var d = new List<int>();
        var s = strides.Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == 1) continue;
            // Merge into the previous kept dimension when every operand's stride there is this one's times its size.
            if (d.Count > 0 && s.Select((list, k) => list[^1] == strides[k][i] * dims[i]).All(x => x))
            {
                d[^1] *= dims[i];
                for (int k = 0; k < s.Length; k++) s[k][^1] = strides[k][i];
                continue;
            }
            d.Add(dims[i]);
            for (int k = 0; k < s.Length; k++) s[k].Add(strides[k][i]);
        }
        if (d.Count == 0)
        {
            d.Add(1);
            foreach (var list in s) list.Add(0);
        }
        _dims = [.. d];
        _strides = s.Select(list => list.ToArray()).ToArray();
        _index = new int[_dims.Length];
        Offsets = new int[strides.Length];
        long rows = 1;
        for (int i = 0; i < _dims.Length - 1; i++) rows *= _dims[i];
        Rows = dims.Contains(0) ? 0 : (int)rows;
    }

    /// <summary>Elements per row (the merged innermost dimension).</summary>
    public int RowLength => _dims[^1];

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Operand k's step along a row: 0 (broadcast) or its stride.</summary>
    public int InnerStride(int operand) => _strides[operand][^1];

    /// <summary>Each operand's offset at the start of the current row.</summary>
    public int[] Offsets { get; }

    /// <summary>Moves to the next row.</summary>
    public void Next()
    {
        for (int d = _dims.Length - 2; d >= 0; d--)
        {
            for (int k = 0; k < Offsets.Length; k++) Offsets[k] += _strides[k][d];
            if (++_index[d] < _dims[d]) return;
            for (int k = 0; k < Offsets.Length; k++) Offsets[k] -= _strides[k][d] * _dims[d];
            _index[d] = 0;
        }
    }
}
