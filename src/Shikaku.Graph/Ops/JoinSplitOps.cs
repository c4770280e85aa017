using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// ConcatV2 (axis last) and Concat (axis first), Pack and Unpack (axis; Unpack has num outputs), Split (split_dim first,
/// num_split equal parts) and SplitV (size_splits, one of them may be -1), on <see cref="TensorOps.Concat"/> and
/// <see cref="TensorOps.Slice"/>. Any dtype.
/// </summary>
internal static class JoinSplitOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("ConcatV2", 2, int.MaxValue, c => new Concat(c, axisFirst: false)));
        r.Register(OpSupport.Op("Concat", 2, int.MaxValue, c => new Concat(c, axisFirst: true)));
        r.Register(OpSupport.Op("Pack", 1, int.MaxValue, c => new Pack(c)));
        r.Register(OpSupport.Op("Unpack", 1, c => new Unpack(c)) with { OutputsOf = n => OpSupport.CountAttribute(n, "num") });
        r.Register(OpSupport.Op("Split", 2, c => new Split(c)) with { OutputsOf = n => OpSupport.CountAttribute(n, "num_split") });
        r.Register(OpSupport.Op("SplitV", 3, c => new SplitV(c)) with { OutputsOf = n => OpSupport.CountAttribute(n, "num_split") });
    }

    /// <summary>An axis of a tensor of <paramref name="rank"/> (negative from the end), or an error.</summary>
    internal static int Axis(long axis, int rank, string op)
    {
        long a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? (int)a : throw new GraphException($"{op}: axis {axis} does not exist in a tensor of rank {rank}; use {-rank}..{rank - 1}.");
    }

    /// <summary>Copies of x's pieces along axis, of the given sizes (which add up to the dimension).</summary>
    private static void SetPieces(ref KernelContext c, Tensor x, int axis, IReadOnlyList<int> sizes)
    {
        var begin = new int[x.Rank];
        var size = x.Shape.ToArray();
        for (int i = 0; i < sizes.Count; i++)
        {
            size[axis] = sizes[i];
            c.SetOutput(i, TensorOps.Slice(x, begin, size));
            begin[axis] += sizes[i];
        }
    }

    private sealed class Concat : IOpKernel
    {
        private readonly bool _axisFirst;
        private readonly IntegerInput _axis;

        public Concat(CompileContext c, bool axisFirst)
        {
            int n = OpSupport.ValueInputs(c.Node) - 1;
            if (c.Attributes.TryGetValue("N", out _) && c.Attributes.Int("N") != n) throw c.Error($"N is {c.Attributes.Int("N")} but the node joins {n} tensors.");
            _axisFirst = axisFirst;
            _axis = new IntegerInput(c, axisFirst ? 0 : n, "the axis");
        }

        public void Run(ref KernelContext c)
        {
            var parts = new Tensor[c.InputCount - 1];
            for (int i = 0; i < parts.Length; i++) parts[i] = c.Input(_axisFirst ? i + 1 : i);
            long axis = _axis.Scalar(ref c);
            c.SetOutput(0, TensorOps.Concat(parts, Axis(axis, parts[0].Rank, "Concat")));
        }
    }

    // TF's Pack (tf.stack): N tensors of one shape joined along a new axis (-rank-1..rank).
    private sealed class Pack(CompileContext c) : IOpKernel
    {
        private readonly long _axis = c.Attributes.Int("axis", 0);

        public void Run(ref KernelContext c)
        {
            var first = c.Input(0);
            int axis = Axis(_axis, first.Rank + 1, "Pack");
            var dims = first.Shape.ToList();
            dims.Insert(axis, 1);
            var views = new Tensor[c.InputCount];
            try
            {
                for (int i = 0; i < views.Length; i++)
                {
                    var t = c.Input(i);
                    if (t.Shape != first.Shape || t.DType != first.DType)
                        throw new GraphException($"Pack: input {i} is {t.DType.Name()} {t.Shape} but input 0 is {first.DType.Name()} {first.Shape}; Pack joins tensors of one shape and dtype.");
                    views[i] = t.Reshape([.. dims]);
                }
                c.SetOutput(0, TensorOps.Concat(views, axis));
            }
            finally
            {
                foreach (var v in views) v?.Dispose();
            }
        }
    }

    // TF's Unpack (tf.unstack): num tensors, one per index along axis, that dimension removed.
    private sealed class Unpack(CompileContext c) : IOpKernel
    {
        private readonly long _axis = c.Attributes.Int("axis", 0);
        private readonly int _num = OpSupport.CountAttribute(c.Node, "num");

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            int axis = Axis(_axis, x.Rank, "Unpack");
            if (x.Shape[axis] != _num) throw new GraphException($"Unpack: num is {_num} but dimension {axis} of {x.Shape} is {x.Shape[axis]}.");
            var begin = new int[x.Rank];
            var size = x.Shape.ToArray();
            size[axis] = 1;
            var dims = x.Shape.Where((_, d) => d != axis).ToArray();
            for (int i = 0; i < _num; i++)
            {
                begin[axis] = i;
                using var piece = TensorOps.Slice(x, begin, size);
                c.SetOutput(i, piece.Reshape(dims));
            }
        }
    }

    // TF's Split: input 0 is the axis, input 1 the tensor, cut into num_split equal parts.
    private sealed class Split(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _axis = new(c, 0, "split_dim");
        private readonly int _num = OpSupport.CountAttribute(c.Node, "num_split");

        public void Run(ref KernelContext c)
        {
            var x = c.Input(1);
            int axis = Axis(_axis.Scalar(ref c), x.Rank, "Split");
            if (x.Shape[axis] % _num != 0)
                throw new GraphException($"Split: dimension {axis} of {x.Shape} ({x.Shape[axis]}) does not divide into {_num} equal parts.");
            SetPieces(ref c, x, axis, Enumerable.Repeat(x.Shape[axis] / _num, _num).ToArray());
        }
    }

    // TF's SplitV: inputs tensor, size_splits (one may be -1: the rest), axis.
    private sealed class SplitV(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _sizes = new(c, 1, "size_splits");
        private readonly IntegerInput _axis = new(c, 2, "split_dim");
        private readonly int _num = OpSupport.CountAttribute(c.Node, "num_split");

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            int axis = Axis(_axis.Scalar(ref c), x.Rank, "SplitV");
            var sizes = _sizes.Values(ref c);
            int dim = x.Shape[axis], inferred = Array.IndexOf(sizes, -1L);
            string Given() => $"size_splits ({string.Join(", ", sizes)}) for dimension {axis} of {x.Shape}";
            if (sizes.Length != _num) throw new GraphException($"SplitV: {Given()} has {sizes.Length} sizes but num_split is {_num}.");
            if (sizes.Count(s => s == -1) > 1 || sizes.Any(s => s < -1 || s > dim)) throw new GraphException($"SplitV: {Given()}: sizes must be 0..{dim}, with at most one -1.");
            long known = sizes.Where(s => s >= 0).Sum();
            if (inferred >= 0 ? known > dim : known != dim) throw new GraphException($"SplitV: {Given()} do not add up to {dim}.");
            var parts = sizes.Select(s => (int)s).ToArray();
            if (inferred >= 0) parts[inferred] = dim - (int)known;
            SetPieces(ref c, x, axis, parts);
        }
    }
}
