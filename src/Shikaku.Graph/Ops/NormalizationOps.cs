using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// FusedBatchNormV3 for inference (is_training false): y = (x - mean) * 1/sqrt(variance + epsilon) * scale + offset
/// over the last axis. Inputs x, scale, offset, mean, variance; outputs 1..5 (TF's batch statistics) are not produced.
/// </summary>
internal static class NormalizationOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("FusedBatchNormV3", c => new BatchNorm(c), Outputs: 6));
        r.Register(new OpDefinition("FusedBatchNorm", c => new BatchNorm(c), Outputs: 5));
    }

    private sealed class BatchNorm : IOpKernel
    {
        private readonly float _epsilon;

        public BatchNorm(CompileContext c)
        {
            if (c.Attributes.Bool("is_training", false)) throw c.Error("training-mode batch normalisation is not an inference op; export the model for inference (is_training false).");
            _epsilon = c.Attributes.Float("epsilon", 1e-4f);
        }

        public void Run(ref KernelContext c)
        {
            Tensor x = c.Input(0), scale = c.Input(1), offset = c.Input(2), mean = c.Input(3), variance = c.Input(4);
            int ch = x.Shape[x.Rank - 1];
            if (scale.Length != ch || offset.Length != ch || mean.Length != ch || variance.Length != ch)
                throw new GraphException($"Batch normalisation of {x.Shape} needs scale, offset, mean and variance of {ch} values each.");
            var y = c.TakeInput(0) ?? Tensor.Uninitialized(x.Shape);
            Kernels.BatchNorm.Inference((c.Input(0) ?? y).Span, mean.Span, variance.Span, scale.Span, offset.Span, _epsilon, y.Span);
            c.SetOutput(0, y);
        }
    }
}
