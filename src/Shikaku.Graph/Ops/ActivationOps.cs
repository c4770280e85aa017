using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// Relu, Relu6, LeakyRelu (alpha, TF's default 0.2), Sigmoid, Tanh and Softmax (last axis) on <see cref="Kernels.ElementwiseOps"/>,
/// in place when the input is free; Prelu (a learned slope per channel, any shape that broadcasts) on <see cref="PRelu"/>.
/// </summary>
internal static class ActivationOps
{
    /// <summary>x · relu6(x + 3) / 6 (MobileNetV3), as GraphPasses.FuseHardSwish writes the pattern TF spells out.</summary>
    public const string HardSwish = "Shikaku.HardSwish";

    public static void Register(OpRegistry r)
    {
        foreach (var op in new[] { "Relu", "Relu6", "LeakyRelu", "Sigmoid", "Tanh", HardSwish })
            r.Register(OpSupport.Op(op, 1, c => new Activate(ConvolutionOps.ActivationOf(c.Node.Op, c.Attributes)!.Value)));
        r.Register(OpSupport.Op("Softmax", 1, _ => new Softmax()));
        r.Register(OpSupport.Op("Prelu", 2, _ => new Prelu()));
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
            if (c.Input(0).Rank == 0) throw new GraphException("Softmax needs a last axis to normalise along; the input is a scalar.");
            var y = c.TakeInput(0) ?? Tensor.Uninitialized(c.Input(0).Shape);
            var x = c.Input(0) ?? y;
            Kernels.ElementwiseOps.Softmax(x.Span, y.Span, x.Shape[x.Rank - 1]);
            c.SetOutput(0, y);
        }
    }

    // y = x where x > 0, else alpha x. Slopes that are the input's trailing shape (after leading 1s: [C], [1, 1, C],
    // [H, W, C]) run on the PReLU kernel; any other shape that broadcasts as TF's through the elementwise ops.
    internal sealed class Prelu : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, Apply(c.Input(0), c.Input(1)));

        /// <summary>TF's Prelu: x where x &gt; 0, else alpha · x, alpha broadcast against x (trailing slopes run on the PReLU kernel).</summary>
        public static Tensor Apply(Tensor x, Tensor alpha)
        {
            if (x.DType != DType.Float32 || alpha.DType != DType.Float32)
                throw new GraphException($"Prelu works on float32; got {x.DType.Name()} {x.Shape} with slopes {alpha.DType.Name()} {alpha.Shape}.");
            if (Trailing(x.Shape, alpha.Shape)) return PRelu.Forward(x, alpha);
            using var scaled = TensorOps.Multiply(x, alpha);
            using var zero = Tensor.Zeros(new Shape());
            using var positive = TensorOps.Compare(x, zero, Comparison.Greater);
            return TensorOps.Where(positive, x, scaled);
        }

        private static bool Trailing(Shape x, Shape alpha)
        {
            int first = 0;
            while (first < alpha.Rank - 1 && alpha[first] == 1) first++;
            int axes = alpha.Rank - first;
            if (alpha.Rank > x.Rank || axes == 0 || axes > Math.Max(1, x.Rank - 1)) return false;
            for (int i = 0; i < axes; i++) if (alpha[first + i] != x[x.Rank - axes + i]) return false;
            return alpha.Length > 0;
        }
    }
}
