using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// The one-input elementwise ops (Sqrt, Rsqrt, Square, Exp, Log, Neg, Abs, Floor, Ceil, Round, Reciprocal) and Cast
/// (DstT), on <see cref="TensorOps"/>.
/// </summary>
internal static class UnaryOps
{
    public static void Register(OpRegistry r)
    {
        foreach (var (op, f) in new (string, Func<Tensor, Tensor>)[]
        {
            ("Sqrt", TensorOps.Sqrt), ("Rsqrt", TensorOps.Rsqrt), ("Square", TensorOps.Square), ("Exp", TensorOps.Exp),
            ("Log", TensorOps.Log), ("Neg", TensorOps.Negate), ("Abs", TensorOps.Abs), ("Floor", TensorOps.Floor),
            ("Ceil", TensorOps.Ceil), ("Round", TensorOps.Round), ("Reciprocal", TensorOps.Reciprocal),
        })
            r.Register(OpSupport.Op(op, 1, _ => new Map(f)));
        r.Register(OpSupport.Op("Cast", 1, c => new Cast(OpSupport.DTypeOf(c, "DstT"))));
    }

    private sealed class Map(Func<Tensor, Tensor> f) : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, f(c.Input(0)));
    }

    // TF's Cast: float to integer truncates toward zero, anything to bool is x != 0 (TensorOps.Cast).
    private sealed class Cast(DType to) : IOpKernel
    {
        public void Run(ref KernelContext c) => c.SetOutput(0, TensorOps.Cast(c.Input(0), to));
    }
}
