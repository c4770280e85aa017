using Shikaku.Kernels;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Graph.Ops;

/// <summary>
/// BiasAdd (a vector along the channel axis), the binary elementwise ops (AddV2, Add, Sub, Mul, RealDiv, FloorDiv,
/// FloorMod, Pow, Maximum, Minimum, SquaredDifference), AddN, the comparisons (Equal, NotEqual, Greater, GreaterEqual,
/// Less, LessEqual) and SelectV2, with TF's broadcasting, on <see cref="TensorOps"/>. The shapes convolutional nets use
/// most (equal shapes, a vector along the last axis, a scalar) run in place when the first input is free.
/// </summary>
internal static class ElementwiseOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("BiasAdd", 2, c => OpSupport.IsNchw(c.Attributes) ? new Broadcast(ChannelBias) : new Binary(multiply: false, biasOnly: true)));
        r.Register(OpSupport.Op("AddV2", 2, _ => new Binary(multiply: false, biasOnly: false)));
        r.Register(OpSupport.Op("Add", 2, _ => new Binary(multiply: false, biasOnly: false)));
        r.Register(OpSupport.Op("Mul", 2, _ => new Binary(multiply: true, biasOnly: false)));
        r.Register(OpSupport.Op("Sub", 2, _ => new Broadcast(TensorOps.Subtract)));
        r.Register(OpSupport.Op("RealDiv", 2, _ => new Broadcast(TensorOps.Divide)));
        r.Register(OpSupport.Op("FloorDiv", 2, _ => new Broadcast(TensorOps.FloorDivide)));
        r.Register(OpSupport.Op("FloorMod", 2, _ => new Broadcast(TensorOps.FloorMod)));
        r.Register(OpSupport.Op("Pow", 2, _ => new Broadcast(TensorOps.Pow)));
        r.Register(OpSupport.Op("Maximum", 2, _ => new Broadcast(TensorOps.Maximum)));
        r.Register(OpSupport.Op("Minimum", 2, _ => new Broadcast(TensorOps.Minimum)));
        r.Register(OpSupport.Op("SquaredDifference", 2, _ => new Broadcast(TensorOps.SquaredDifference)));
        r.Register(OpSupport.Op("AddN", 1, int.MaxValue, _ => new AddN()));
        foreach (var (op, comparison) in new[]
        {
            ("Equal", Comparison.Equal), ("NotEqual", Comparison.NotEqual), ("Greater", Comparison.Greater),
            ("GreaterEqual", Comparison.GreaterEqual), ("Less", Comparison.Less), ("LessEqual", Comparison.LessEqual),
        })
            r.Register(OpSupport.Op(op, 2, _ => new Broadcast((a, b) => TensorOps.Compare(a, b, comparison))));
        r.Register(OpSupport.Op("SelectV2", 3, _ => new Select()));
        r.Register(OpSupport.Op(AddActivation, 2, 3, c => new AddActivate(c)));
    }

    /// <summary>
    /// act(a + b) in one pass over memory (GraphPasses.FuseAddActivation writes it for a residual sum and its activation):
    /// attribute "activation" (Relu, Relu6, LeakyRelu with "alpha", Sigmoid, Tanh, Shikaku.HardSwish, or Prelu with the
    /// slopes as input 2).
    /// </summary>
    public const string AddActivation = "Shikaku.AddActivation";

    private sealed class AddActivate : IOpKernel
    {
        private readonly Activation? _activation;
        private readonly bool _prelu;

        public AddActivate(CompileContext c)
        {
            string op = c.Attributes.String("activation", "");
            _prelu = op == "Prelu";
            _activation = _prelu ? null : ConvolutionOps.ActivationOf(op, c.Attributes)
                ?? throw c.Error($"activation '{op}' is not one that fuses; use Relu, Relu6, LeakyRelu, Sigmoid, Tanh, {ActivationOps.HardSwish} or Prelu.");
            if (_prelu != (OpSupport.ValueInputs(c.Node) == 3)) throw c.Error("takes the PReLU slopes as a third input, and only with activation Prelu.");
        }

        public void Run(ref KernelContext c)
        {
            Tensor a = c.Input(0), b = c.Input(1);
            int width = a.Rank == 0 ? 1 : a.Shape[a.Rank - 1];
            // PReLU fuses with one slope per channel (the last axis); other slope shapes broadcast as the Prelu op does.
            bool perChannel = !_prelu || c.Input(2).Length == width;
            if (a.Shape != b.Shape || a.DType != DType.Float32 || b.DType != DType.Float32 || !perChannel || a.Length == 0)
            {
                // Broadcasting, other dtypes, other slopes, nothing to add: the engine's sum, then the activation.
                var sum = TensorOps.Add(a, b);
                if (_prelu)
                {
                    using (sum) c.SetOutput(0, ActivationOps.Prelu.Apply(sum, c.Input(2)));
                    return;
                }
                Kernels.ElementwiseOps.Activate(sum.Span, _activation!.Value);
                c.SetOutput(0, sum);
                return;
            }
            var activation = _activation ?? Activation.PRelu(c.Input(2));
            var y = c.TakeInput(0) ?? c.TakeInput(1) ?? Tensor.Uninitialized(a.Shape);
            ReadOnlySpan<float> x = a.Span, v = b.Span;
            var ys = y.Span;
            // Blocks that stay in L1 between the sum and the activation; a block starts on a channel row (PReLU's slopes).
            int block = Math.Max(width, 4096 / width * width);
            for (int i = 0; i < x.Length; i += block)
            {
                int n = Math.Min(block, x.Length - i);
                TensorPrimitives.Add(x.Slice(i, n), v.Slice(i, n), ys.Slice(i, n));
                Kernels.ElementwiseOps.Activate(ys.Slice(i, n), activation);
            }
            c.SetOutput(0, y);
        }
    }

    // NCHW BiasAdd: the bias runs along axis 1, so it broadcasts as (C, 1, ..., 1).
    private static Tensor ChannelBias(Tensor x, Tensor bias)
    {
        if (x.Rank < 2 || bias.Rank != 1 || bias.Length != x.Shape[1])
            throw new GraphException($"BiasAdd (NCHW) needs a bias of {(x.Rank < 2 ? "one value per channel" : x.Shape[1] + " values")} (axis 1 of {x.Shape}), got {bias.Shape}.");
        using var column = bias.Reshape([bias.Length, .. Enumerable.Repeat(1, x.Rank - 2)]);
        return TensorOps.Add(x, column);
    }

    private sealed class Broadcast(Func<Tensor, Tensor, Tensor> op) : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, op(c.Input(0), c.Input(1)));
    }

    private sealed class Select : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, TensorOps.Where(c.Input(0), c.Input(1), c.Input(2)));
    }

    // TF's AddN: the sum of inputs of one shape and dtype (no broadcasting), in place in the first when it is free.
    private sealed class AddN : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var first = c.Input(0);
            for (int i = 1; i < c.InputCount; i++)
                if (c.Input(i).Shape != first.Shape || c.Input(i).DType != first.DType)
                    throw new GraphException($"AddN: input {i} is {c.Input(i).DType.Name()} {c.Input(i).Shape} but input 0 is {first.DType.Name()} {first.Shape}; AddN adds tensors of one shape and dtype.");
            if (first.DType != DType.Float32)
            {
                var sum = first.Clone();
                for (int i = 1; i < c.InputCount; i++)
                {
                    using var previous = sum;
                    sum = TensorOps.Add(previous, c.Input(i));
                }
                c.SetOutput(0, sum);
                return;
            }
            var y = c.TakeInput(0) ?? first.Clone();
            for (int i = 1; i < c.InputCount; i++) TensorPrimitives.Add(y.Span, c.Input(i).Span, y.Span);
            c.SetOutput(0, y);
        }
    }

    private sealed class Binary(bool multiply, bool biasOnly) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            Tensor a = c.Input(0), b = c.Input(1);
            int width = a.Rank == 0 ? 1 : a.Shape[a.Rank - 1];
            bool same = !biasOnly && a.Shape == b.Shape, row = b.Rank == 1 && a.Rank >= 1 && b.Length == width, scalar = !biasOnly && b.Length == 1 && b.Rank <= a.Rank;
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
