using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// The ops that make or rearrange tensors: Fill, Range, SparseToDense, Tile, Pad, PadV2, MirrorPad (REFLECT, SYMMETRIC)
/// and Transpose, on <see cref="TensorOps"/>. A size read from the graph (a shape, multiples, paddings, a range) is
/// checked against the tensor limit before anything is allocated: a damaged model is an error, not an out-of-memory.
/// </summary>
internal static class FillOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("Fill", 2, c => new Fill(c)));
        r.Register(OpSupport.Op("Range", 3, _ => new RangeOp()));
        r.Register(OpSupport.Op("SparseToDense", 4, c => new SparseToDense(c)));
        r.Register(OpSupport.Op("Tile", 2, c => new Tile(c)));
        r.Register(OpSupport.Op("Pad", 2, c => new Pad(c, PadMode.Constant)));
        r.Register(OpSupport.Op("PadV2", 3, c => new Pad(c, PadMode.Constant)));
        r.Register(OpSupport.Op("MirrorPad", 2, c => new Pad(c, c.Attributes.String("mode") switch
        {
            "REFLECT" => PadMode.Reflect,
            "SYMMETRIC" => PadMode.Symmetric,
            var m => throw c.Error($"mode '{m}' is not REFLECT or SYMMETRIC."),
        })));
        r.Register(OpSupport.Op("Transpose", 2, c => new Transpose(c)));
    }

    /// <summary>The value of a one-element tensor of any dtype, as a double (bool: 1 or 0).</summary>
    private static double ScalarValue(Tensor t, string what)
    {
        if (t.Length != 1) throw new GraphException($"{what} must be a scalar, got {t.Shape}.");
        return t.DType switch
        {
            DType.Float32 => t.Span[0],
            DType.Int32 => t.AsSpan<int>()[0],
            DType.Int64 => t.AsSpan<long>()[0],
            DType.Bool => t.AsSpan<bool>()[0] ? 1 : 0,
            _ => t.AsSpan<byte>()[0],
        };
    }

    // TF's Fill: a tensor of the shape of input 0 holding the scalar input 1 (its dtype): the scalar tiled.
    private sealed class Fill(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _dims = new(c, 0, "Fill dims");

        public void Run(ref KernelContext c)
        {
            var shape = OpSupport.OutputShape(_dims.Values(ref c), "Fill");
            var value = c.Input(1);
            if (value.Length != 1 || value.Rank > 1) throw new GraphException($"Fill: the value must be a scalar, got {value.Shape}.");
            using var one = value.Reshape(Enumerable.Repeat(1, shape.Rank).ToArray());
            c.SetOutput(0, TensorOps.Tile(one, shape.ToArray()));
        }
    }

    // TF's Range: start, limit, delta, three scalars of one dtype (float32, int32 or int64), which the result has.
    private sealed class RangeOp : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            Tensor start = c.Input(0), limit = c.Input(1), delta = c.Input(2);
            if (limit.DType != start.DType || delta.DType != start.DType || start.DType is not (DType.Float32 or DType.Int32 or DType.Int64))
                throw new GraphException($"Range: start, limit and delta are {start.DType.Name()}, {limit.DType.Name()} and {delta.DType.Name()}; they must be one of float32, int32 or int64.");
            if (start.Length != 1 || limit.Length != 1 || delta.Length != 1)
                throw new GraphException($"Range: start {start.Shape}, limit {limit.Shape} and delta {delta.Shape} must be scalars.");
            c.SetOutput(0, start.DType == DType.Float32
                ? TensorOps.Range(start.Span[0], limit.Span[0], delta.Span[0])
                : TensorOps.Range(ShapeOps.Integers(start)[0], ShapeOps.Integers(limit)[0], ShapeOps.Integers(delta)[0], start.DType));
        }
    }

    private sealed class SparseToDense(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _shape = new(c, 1, "SparseToDense output_shape");
        private readonly bool _validate = c.Attributes.Bool("validate_indices", true);

        public void Run(ref KernelContext c)
        {
            var shape = OpSupport.OutputShape(_shape.Values(ref c), "SparseToDense");
            c.SetOutput(0, TensorOps.SparseToDense(c.Input(0), shape, c.Input(2), c.Input(3), _validate));
        }
    }

    private sealed class Tile(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _multiples = new(c, 1, "Tile multiples");

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            var m = _multiples.Values(ref c);
            if (m.Length != x.Rank) throw new GraphException($"Tile of {x.Shape}: multiples ({string.Join(", ", m)}) need one value per dimension.");
            if (m.Any(v => v < 0)) throw new GraphException($"Tile of {x.Shape}: multiples ({string.Join(", ", m)}) must be >= 0.");
            var shape = OpSupport.OutputShape(m.Select((v, d) => v > int.MaxValue ? v : v * x.Shape[d]).ToArray(), $"Tile of {x.Shape} by ({string.Join(", ", m)})");
            c.SetOutput(0, TensorOps.Tile(x, m.Select((v, d) => x.Shape[d] == 0 ? 0 : shape[d] / x.Shape[d]).ToArray()));
        }
    }

    // Pad and PadV2 (a constant, input 2, default 0) and MirrorPad: paddings [rank, 2] of (before, after) per dimension.
    private sealed class Pad(CompileContext c, PadMode mode) : IOpKernel
    {
        private readonly IntegerInput _paddings = new(c, 1, "paddings");

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            var p = _paddings.Values(ref c);
            if (p.Length != 2 * x.Rank) throw new GraphException($"Pad of {x.Shape}: paddings ({string.Join(", ", p)}) need a (before, after) pair per dimension ({x.Rank}).");
            if (p.Any(v => v < 0 || v > int.MaxValue)) throw new GraphException($"Pad of {x.Shape}: paddings ({string.Join(", ", p)}) must be >= 0 and fit a tensor.");
            OpSupport.OutputShape(Enumerable.Range(0, x.Rank).Select(d => x.Shape[d] + p[2 * d] + p[2 * d + 1]).ToArray(), $"Pad of {x.Shape} by ({string.Join(", ", p)})");
            double value = c.InputCount > 2 ? ScalarValue(c.Input(2), "PadV2 constant_values") : 0;
            var pairs = Enumerable.Range(0, x.Rank).Select(d => ((int)p[2 * d], (int)p[2 * d + 1])).ToArray();
            c.SetOutput(0, TensorOps.Pad(x, pairs, mode, value));
        }
    }

    private sealed class Transpose(CompileContext c) : IOpKernel
    {
        private readonly IntegerInput _perm = new(c, 1, "Transpose perm");

        public void Run(ref KernelContext c) => c.SetOutput(0, TensorOps.Transpose(c.Input(0), SliceOps.Ints(_perm.Values(ref c), "Transpose perm")));
    }
}
