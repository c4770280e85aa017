using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// Identity, Reshape, ExpandDims and Squeeze, views that share the input's memory (no copy), and Shape. Reshape takes
/// its shape from its second input (a constant, or a value computed by the graph) or Shikaku's "shape" attribute;
/// ExpandDims its axis from the second input.
/// </summary>
internal static class ShapeOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("Identity", 1, _ => new View(null), aliases: true));
        r.Register(OpSupport.Op("Reshape", 1, 2, c => new Reshape(c), aliases: true));
        r.Register(OpSupport.Op("ExpandDims", 2, c => new ExpandDims(c), aliases: true));
        r.Register(OpSupport.Op("Squeeze", 1, c => new Squeeze(c), aliases: true));
        r.Register(OpSupport.Op("Shape", 1, c => new ShapeOf(c)));
    }

    /// <summary>The values of a tensor of shapes or axes: int32 or int64 as graphs carry them, or whole floats.</summary>
    internal static long[] Integers(Tensor t) => t.DType switch
    {
        DType.Int32 => t.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
        DType.Int64 => t.AsSpan<long>().ToArray(),
        DType.Float32 => t.ToArray().Select(v => v == MathF.Round(v) ? (long)v
            : throw new GraphException($"A shape or axis constant holds {v}, which is not a whole number.")).ToArray(),
        _ => throw new GraphException($"A shape or axis constant must be int32 or int64, got {t.DType}."),
    };

    /// <summary>A view of input 0 with the given dimensions (null: the same).</summary>
    private sealed class View(int[]? dims) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            c.SetOutput(0, x.Reshape(dims ?? x.Shape.ToArray()));
        }
    }

    // TF's Reshape: one dimension may be -1 (inferred); the element count must not change.
    private sealed class Reshape : IOpKernel
    {
        private readonly IntegerInput? _shape;
        private readonly int[]? _dims;

        public Reshape(CompileContext c)
        {
            if (OpSupport.ValueInputs(c.Node) == 2) _shape = new IntegerInput(c, 1, "the shape");
            var dims = _shape == null ? c.Attributes.Ints("shape") : _shape.Constant;
            if (dims != null) _dims = Dims(dims);
        }

        private static int[] Dims(long[] dims) => dims.Select(d => d >= -1 && d <= int.MaxValue ? (int)d
            : throw new GraphException($"Reshape to ({string.Join(", ", dims)}): a dimension must be -1 (inferred) or >= 0.")).ToArray();

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            c.SetOutput(0, x.Reshape(_dims ?? Dims(_shape!.Values(ref c))));
        }
    }

    // A dimension of 1 inserted at axis (-rank-1..rank; negative counts from the end of the result).
    private sealed class ExpandDims(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _axis = new(c, 1, "the axis");

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            long axis = _axis.Scalar(ref c);
            if (axis < -x.Rank - 1 || axis > x.Rank)
                throw new GraphException($"ExpandDims of {x.Shape}: axis {axis} must be within {-x.Rank - 1}..{x.Rank}.");
            var dims = x.Shape.ToList();
            dims.Insert((int)(axis < 0 ? axis + x.Rank + 1 : axis), 1);
            c.SetOutput(0, x.Reshape([.. dims]));
        }
    }

    // Removes the dimensions of size 1 named by squeeze_dims (negative from the end), or all of them when none are named.
    private sealed class Squeeze(CompileContext c) : IOpKernel
    {
        // An empty list may arrive as a list of any element type (the JSON says only "list": {}).
        private readonly long[] _axes = c.Attributes.TryGetValue("squeeze_dims", out var v) || c.Attributes.TryGetValue("axis", out v)
            ? v.Value is Array { Length: 0 } ? [] : v.Value is long one ? [one] : c.Attributes.Ints(c.Attributes.ContainsKey("squeeze_dims") ? "squeeze_dims" : "axis")
            : [];

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            var drop = new bool[x.Rank];
            foreach (long a in _axes)
            {
                long d = a < 0 ? a + x.Rank : a;
                if (d < 0 || d >= x.Rank) throw new GraphException($"Squeeze of {x.Shape}: axis {a} does not exist.");
                if (x.Shape[(int)d] != 1) throw new GraphException($"Squeeze of {x.Shape}: dimension {a} is {x.Shape[(int)d]}, not 1.");
                drop[d] = true;
            }
            if (_axes.Length == 0) for (int d = 0; d < x.Rank; d++) drop[d] = x.Shape[d] == 1;
            c.SetOutput(0, x.Reshape(x.Shape.Where((_, d) => !drop[d]).ToArray()));
        }
    }

    // The dimensions of input 0 as an int32 (default) or int64 vector.
    private sealed class ShapeOf : IOpKernel
    {
        private readonly bool _long;

        public ShapeOf(CompileContext c)
        {
            var type = OpSupport.DTypeOf(c, "out_type", DType.Int32);
            if (type is not (DType.Int32 or DType.Int64)) throw c.Error($"out_type must be int32 or int64, not {type.Name()}.");
            _long = type == DType.Int64;
        }

        public void Run(ref KernelContext c)
        {
            var dims = c.Input(0).Shape.ToArray();
            c.SetOutput(0, _long ? Tensor.FromInt64(dims.Select(d => (long)d).ToArray(), dims.Length) : Tensor.FromInt32(dims, dims.Length));
        }
    }
}
