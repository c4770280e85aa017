using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>Relu, Relu6, LeakyRelu, Sigmoid, Tanh and Softmax (last axis) on <see cref="Kernels.ElementwiseOps"/>; in place when the input is free.</summary>
internal static class ActivationOps
{
    public static void Register(OpRegistry r)
    {
        foreach (var op in new[] { "Relu", "Relu6", "LeakyRelu", "Sigmoid", "Tanh" })
            r.Register(new OpDefinition(op, c => new Activate(ConvolutionOps.ActivationOf(c.Node.Op, c.Attributes)!.Value)));
        r.Register(new OpDefinition("Softmax", _ => new Softmax()));
    }

    /// <summary>The input itself when this node may overwrite it, else a copy.</summary>
    public static Tensor Writable(ref KernelContext c) => c.TakeInput(0) ?? c.Input(0).Clone();

    private sealed class Activate(Activation activation) : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var y = Writable(ref c);
            Kernels.ElementwiseOps.Activate(y.Span, activation);
            c.SetOutput(0, y);
        }
    }

    private sealed class Softmax : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var y = c.TakeInput(0) ?? Tensor.Uninitialized(c.Input(0).Shape);
            var x = c.Input(0) ?? y;
            Kernels.ElementwiseOps.Softmax(x.Span, y.Span, x.Shape[x.Rank - 1]);
            c.SetOutput(0, y);
        }
    }
}
