using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>MatMul and _FusedMatMul (fused_ops BiasAdd and an activation, in the GEMM's epilogue) on <see cref="Sgemm"/>.</summary>
internal static class MatMulOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("MatMul", c => new MatMul(c, fused: false)));
        r.Register(new OpDefinition("_FusedMatMul", c => new MatMul(c, fused: true)));
    }

    private sealed class MatMul : IOpKernel
    {
        private readonly bool _ta, _tb, _bias;
        private readonly Activation _activation = Activation.Linear;

        public MatMul(CompileContext c, bool fused)
        {
            _ta = c.Attributes.Bool("transpose_a", false);
            _tb = c.Attributes.Bool("transpose_b", false);
            foreach (var op in fused ? c.Attributes.Strings("fused_ops", []) : [])
            {
                if (op == "BiasAdd") _bias = true;
                else _activation = ConvolutionOps.ActivationOf(op, new Attributes { ["alpha"] = c.Attributes.Float("leakyrelu_alpha", 0.2f), ["scale"] = c.Attributes.Float("hardswish_scale", 1f / 6) })
                    ?? throw c.Error($"fused_ops '{op}' is not supported; use BiasAdd followed by Relu, Relu6, LeakyRelu, Sigmoid or Tanh.");
            }
        }

        public void Run(ref KernelContext c)
        {
            Tensor a = c.Input(0), b = c.Input(1);
            if (a.Rank != 2 || b.Rank != 2) throw new GraphException($"MatMul needs two matrices, got {a.Shape} and {b.Shape}; add a Reshape before it.");
            int m = _ta ? a.Shape[1] : a.Shape[0], k = _ta ? a.Shape[0] : a.Shape[1], n = _tb ? b.Shape[0] : b.Shape[1];
            if ((_tb ? b.Shape[1] : b.Shape[0]) != k) throw new GraphException($"MatMul: the inner dimensions of {a.Shape} and {b.Shape} differ.");
            var bias = _bias ? c.Input(2).Span : ReadOnlySpan<float>.Empty;
            var y = Tensor.Uninitialized(new Shape(m, n));
            Sgemm.Multiply(_ta, _tb, m, n, k, 1f, a.Span, a.Shape[1], b.Span, b.Shape[1], 0f, y.Span, n, bias, _activation);
            c.SetOutput(0, y);
        }
    }
}
