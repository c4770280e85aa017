using Shikaku.Kernels;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Graph.Ops;

/// <summary>
/// BiasAdd (a vector along the last axis) and the binary elementwise ops (AddV2, Add, Sub, Mul, RealDiv, Maximum,
/// Minimum, SquaredDifference) with TF's broadcasting, on <see cref="TensorOps"/>. The shapes convolutional nets
/// use most (equal shapes, a vector along the last axis, a scalar) run in place when the first input is free.
/// </summary>
internal static class ElementwiseOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("BiasAdd", _ => new Binary(multiply: false, biasOnly: true)));
        r.Register(new OpDefinition("AddV2", _ => new Binary(multiply: false, biasOnly: false)));
        r.Register(new OpDefinition("Add", _ => new Binary(multiply: false, biasOnly: false)));
        r.Register(new OpDefinition("Mul", _ => new Binary(multiply: true, biasOnly: false)));
        r.Register(new OpDefinition("Sub", _ => new Broadcast(TensorOps.Subtract)));
        r.Register(new OpDefinition("RealDiv", _ => new Broadcast(TensorOps.Divide)));
        r.Register(new OpDefinition("Maximum", _ => new Broadcast(TensorOps.Maximum)));
        r.Register(new OpDefinition("Minimum", _ => new Broadcast(TensorOps.Minimum)));
        r.Register(new OpDefinition("SquaredDifference", _ => new Broadcast(TensorOps.SquaredDifference)));
    }

    private sealed class Broadcast(Func<Tensor, Tensor, Tensor> op) : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, op(c.Input(0), c.Input(1)));
    }

    private sealed class Binary(bool multiply, bool biasOnly) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            Tensor a = c.Input(0), b = c.Input(1);
            int width = a.Rank == 0 ? 1 : a.Shape[a.Rank - 1];
            bool same = !biasOnly && a.Shape == b.Shape, row = b.Rank == 1 && b.Length == width, scalar = !biasOnly && b.Length == 1 && b.Rank <= a.Rank;
            if (biasOnly && !row)
                throw new GraphException($"BiasAdd needs a bias of {width} values (the last axis of {a.Shape}), got {b.Shape}.");
            if (!same && !row && !scalar || a.DType != DType.Float32 || b.DType != DType.Float32)
            {
                // Any other shapes or dtypes: the engine's broadcasting op (a new output).
                c.SetOutput(0, multiply ? TensorOps.Multiply(a, b) : TensorOps.Add(a, b));
                return;
            }
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
