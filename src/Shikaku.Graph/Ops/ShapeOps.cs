using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>Identity and Reshape: views that share the input's memory (no copy). Reshape takes its shape from a constant input or the "shape" attribute.</summary>
internal static class ShapeOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("Identity", _ => new Reshape(null), AliasesInput: true));
        r.Register(new OpDefinition("Reshape", c => new Reshape(
            c.Constant(1) is { } t ? t.ToArray().Select(v => (int)v).ToArray() : c.Attributes.Ints("shape").Select(v => (int)v).ToArray()), AliasesInput: true));
    }

    private sealed class Reshape(int[]? dims) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            c.SetOutput(0, x.Reshape(dims ?? x.Shape.ToArray()));
        }
    }
}
