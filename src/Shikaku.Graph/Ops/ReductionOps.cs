using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// Sum, Mean, Max, Min and Prod over the axes of their second input (keep_dims), ArgMax and ArgMin (output_type) and
/// TopKV2 (values and int32 indices, largest first), on <see cref="TensorOps"/>. Mean over the spatial axes of an
/// NHWC tensor is global average pooling, its own kernel.
/// </summary>
internal static class ReductionOps
{
    public static void Register(OpRegistry r)
    {
        foreach (var (op, reduction) in new[] { ("Sum", Reduction.Sum), ("Mean", Reduction.Mean), ("Max", Reduction.Max), ("Min", Reduction.Min), ("Prod", Reduction.Prod) })
            r.Register(OpSupport.Op(op, 1, 2, c => new Reduce(c, reduction)));
        r.Register(OpSupport.Op("ArgMax", 1, 2, c => new Arg(c, largest: true)));
        r.Register(OpSupport.Op("ArgMin", 1, 2, c => new Arg(c, largest: false)));
        r.Register(OpSupport.Op("TopKV2", 2, c => new TopK(c), outputs: 2));
    }

    /// <summary>Axes as ints (one value or a list), or an error naming them.</summary>
    private static int[] Axes(long[] axes) => axes.Select(a => a is >= int.MinValue and <= int.MaxValue ? (int)a
        : throw new GraphException($"The axis {a} does not exist.")).ToArray();

    // The axes come from input 1 (TF) or, in graphs Shikaku builds, the "axes" attribute.
    private sealed class Reduce : IOpKernel
    {
        private readonly Reduction _reduction;
        private readonly bool _keepDims;
        private readonly IntegerInput? _input;
        private readonly int[]? _axes;

        public Reduce(CompileContext c, Reduction reduction)
        {
            _reduction = reduction;
            _keepDims = c.Attributes.Bool("keep_dims", false);
            if (OpSupport.ValueInputs(c.Node) == 2) _input = new IntegerInput(c, 1, "the axes");
            var axes = _input == null ? c.Attributes.Ints("axes") : _input.Constant;
            if (axes != null) _axes = Axes(axes);
        }

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            var axes = _axes ?? Axes(_input!.Values(ref c));
            bool spatial = _reduction == Reduction.Mean && x.Rank == 4 && !_keepDims && x.DType == DType.Float32
                && axes.Select(a => a < 0 ? a + 4 : a).Order().SequenceEqual([1, 2]);
            c.SetOutput(0, spatial ? Pooling.GlobalAvgPool(x) : TensorOps.Reduce(x, _reduction, axes, _keepDims));
        }
    }

    // TF's ArgMax / ArgMin: input 1 is the axis (default 0 when absent), output_type int64 unless int32 is asked for.
    private sealed class Arg : IOpKernel
    {
        private readonly bool _largest;
        private readonly IntegerInput? _axis;
        private readonly DType _type;

        public Arg(CompileContext c, bool largest)
        {
            _largest = largest;
            _type = OpSupport.DTypeOf(c, "output_type", DType.Int64);
            if (_type is not (DType.Int32 or DType.Int64)) throw c.Error($"output_type must be int32 or int64, not {_type.Name()}.");
            if (OpSupport.ValueInputs(c.Node) == 2) _axis = new IntegerInput(c, 1, "the axis");
        }

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            int axis = _axis == null ? 0 : Axes([_axis.Scalar(ref c)])[0];
            c.SetOutput(0, _largest ? TensorOps.ArgMax(x, axis, _type) : TensorOps.ArgMin(x, axis, _type));
        }
    }

    // TF's TopKV2: the k largest along the last axis with their int32 indices; sorted false allows any order, so sorted is given.
    private sealed class TopK(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _k = new(c, 1, "k");

        public void Run(ref KernelContext c)
        {
            long k = _k.Scalar(ref c);
            var x = c.Input(0);
            if (k < 0 || x.Rank == 0 || k > x.Shape[x.Rank - 1])
                throw new GraphException($"TopKV2: k = {k} must be within 0..{(x.Rank == 0 ? 0 : x.Shape[x.Rank - 1])} (the last dimension of {x.Shape}).");
            var (values, indices) = TensorOps.TopK(x, (int)k);
            c.SetOutput(0, values);
            c.SetOutput(1, indices);
        }
    }
}
