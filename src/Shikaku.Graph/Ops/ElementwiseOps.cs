using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Graph.Ops;

/// <summary>
/// BiasAdd (a vector along the last axis), and AddV2 / Mul of equal shapes or by a last-axis vector or a scalar:
/// the cases Shikaku's models need until the broadcasting elementwise kernels arrive (they replace this family).
/// In place when the first input is free.
/// </summary>
internal static class ElementwiseOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("BiasAdd", _ => new Binary(multiply: false, biasOnly: true)));
        r.Register(new OpDefinition("AddV2", _ => new Binary(multiply: false, biasOnly: false)));
        r.Register(new OpDefinition("Mul", _ => new Binary(multiply: true, biasOnly: false)));
    }

    private sealed class Binary(bool multiply, bool biasOnly) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            Tensor a = c.Input(0), b = c.Input(1);
            int width = a.Rank == 0 ? 1 : a.Shape[a.Rank - 1];
            bool same = !biasOnly && a.Shape == b.Shape, row = b.Rank == 1 && b.Length == width, scalar = !biasOnly && b.Length == 1;
            if (!same && !row && !scalar)
                throw new GraphException(biasOnly ? $"BiasAdd needs a bias of {width} values (the last axis of {a.Shape}), got {b.Shape}."
                    : $"Cannot combine {a.Shape} with {b.Shape}: only equal shapes, a vector along the last axis or a scalar are supported yet.");
            var y = c.TakeInput(0) ?? Tensor.Uninitialized(a.Shape);
            ReadOnlySpan<float> x = a.Span, v = b.Span;
            var ys = y.Span;
            if (same) Apply(x, v, ys);
            else if (scalar) { if (multiply) TensorPrimitives.Multiply(x, v[0], ys); else TensorPrimitives.Add(x, v[0], ys); }
            else for (int i = 0; i < x.Length; i += width) Apply(x.Slice(i, width), v, ys.Slice(i, width));
            c.SetOutput(0, y);
        }

        private void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> v, Span<float> y)
        {
            if (multiply) TensorPrimitives.Multiply(x, v, y);
            else TensorPrimitives.Add(x, v, y);
        }
    }
}
