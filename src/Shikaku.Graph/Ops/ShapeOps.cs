using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>Identity and Reshape: views that share the input's memory (no copy). Reshape takes its shape from a constant input or the "shape" attribute.</summary>
internal static class ShapeOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("Identity", _ => new Reshape(null), AliasesInput: true));
        r.Register(new OpDefinition("Reshape", c => new Reshape(
            (c.Constant(1) is { } t ? Integers(t) : c.Attributes.Ints("shape")).Select(v => checked((int)v)).ToArray()), AliasesInput: true));
    }

    /// <summary>The values of a constant of shapes or axes: int32 or int64 as graphs carry them, or whole floats.</summary>
    internal static long[] Integers(Tensor t) => t.DType switch
    {
        DType.Int32 => t.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
        DType.Int64 => t.AsSpan<long>().ToArray(),
        DType.Float32 => t.ToArray().Select(v => v == MathF.Round(v) ? (long)v
            : throw new GraphException($"A shape or axis constant holds {v}, which is not a whole number.")).ToArray(),
        _ => throw new GraphException($"A shape or axis constant must be int32 or int64, got {t.DType}."),
    };

    private sealed class Reshape(int[]? dims) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            c.SetOutput(0, x.Reshape(dims ?? x.Shape.ToArray()));
        }
    }
}
