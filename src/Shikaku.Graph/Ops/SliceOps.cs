using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// Slice (begin, size), StridedSlice (begin, end, strides and TF's five masks), GatherV2 (axis, batch_dims) and
/// GatherNd, on <see cref="TensorOps"/>. Any dtype; begin, end, sizes and axes are read once when they are constants.
/// </summary>
internal static class SliceOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("Slice", 3, c => new Slice(c)));
        r.Register(OpSupport.Op("StridedSlice", 4, c => new StridedSlice(c)));
        r.Register(OpSupport.Op("GatherV2", 3, c => new Gather(c)));
        r.Register(OpSupport.Op("GatherNd", 2, _ => new GatherNd()));
    }

    /// <summary>Integers that must fit an int (coordinates inside a tensor), or an error naming them.</summary>
    internal static int[] Ints(long[] values, string what) => values.Select(v => v is >= int.MinValue and <= int.MaxValue ? (int)v
        : throw new GraphException($"{what} ({string.Join(", ", values)}): {v} is outside any tensor.")).ToArray();

    private sealed class Slice(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _begin = new(c, 1, "Slice begin"), _size = new(c, 2, "Slice size");

        public void Run(ref KernelContext c) =>
            c.SetOutput(0, TensorOps.Slice(c.Input(0), Ints(_begin.Values(ref c), "Slice begin"), Ints(_size.Values(ref c), "Slice size")));
    }

    private sealed class StridedSlice : IOpKernel
    {
        private readonly IntegerInput _begin, _end, _strides;
        private readonly int _beginMask, _endMask, _ellipsisMask, _newAxisMask, _shrinkAxisMask;

        public StridedSlice(CompileContext c)
        {
            (_begin, _end, _strides) = (new(c, 1, "StridedSlice begin"), new(c, 2, "StridedSlice end"), new(c, 3, "StridedSlice strides"));
            int Mask(string name)
            {
                long m = c.Attributes.Int(name, 0);
                return m is >= 0 and <= int.MaxValue ? (int)m : throw c.Error($"'{name}' is {m}; a mask is a non-negative bit set.");
            }
            (_beginMask, _endMask, _ellipsisMask, _newAxisMask, _shrinkAxisMask) =
                (Mask("begin_mask"), Mask("end_mask"), Mask("ellipsis_mask"), Mask("new_axis_mask"), Mask("shrink_axis_mask"));
        }

        public void Run(ref KernelContext c)
        {
            // Bounds past an int are clamped by the kernel anyway: saturate rather than refuse (TF's "to the end" idiom).
            static int[] Saturate(long[] v) => v.Select(x => (int)Math.Clamp(x, -int.MaxValue, int.MaxValue)).ToArray();
            c.SetOutput(0, TensorOps.StridedSlice(c.Input(0), Saturate(_begin.Values(ref c)), Saturate(_end.Values(ref c)), Saturate(_strides.Values(ref c)),
                _beginMask, _endMask, _ellipsisMask, _newAxisMask, _shrinkAxisMask));
        }
    }

    // TF's GatherV2: params, indices, axis; batch_dims as an attribute.
    private sealed class Gather(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _axis = new(c, 2, "the axis");
        private readonly long _batchDims = c.Attributes.Int("batch_dims", 0);

        public void Run(ref KernelContext c)
        {
            long axis = _axis.Scalar(ref c);
            if (axis is < int.MinValue or > int.MaxValue || _batchDims is < int.MinValue or > int.MaxValue)
                throw new GraphException($"GatherV2: axis {axis} or batch_dims {_batchDims} is outside any tensor.");
            c.SetOutput(0, TensorOps.Gather(c.Input(0), c.Input(1), (int)axis, (int)_batchDims));
        }
    }

    private sealed class GatherNd : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, TensorOps.GatherNd(c.Input(0), c.Input(1)));
    }
}
