using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>
/// FusedBatchNormV3 for inference (is_training false): y = (x - mean) * 1/sqrt(variance + epsilon) * scale + offset
/// over the channel axis (the last, or axis 1 with data_format NCHW). Inputs x, scale, offset, mean, variance; outputs 1..5
/// (TF's batch statistics) are not produced.
/// </summary>
internal static class NormalizationOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("FusedBatchNormV3", 5, c => new BatchNorm(c), outputs: 6));
        r.Register(OpSupport.Op("FusedBatchNorm", 5, c => new BatchNorm(c), outputs: 5));
    }

    private sealed class BatchNorm : IOpKernel
    {
        private readonly float _epsilon;
        private readonly bool _nchw;

        public BatchNorm(CompileContext c)
        {
            if (c.Attributes.Bool("is_training", false)) throw c.Error("training-mode batch normalisation is not an inference op; export the model for inference (is_training false).");
            _epsilon = c.Attributes.Float("epsilon", 1e-4f);
            _nchw = OpSupport.IsNchw(c.Attributes);
        }

        public void Run(ref KernelContext c)
        {
            if (_nchw)
            {
                Tensor scale1 = c.Input(1), offset1 = c.Input(2), mean1 = c.Input(3), variance1 = c.Input(4);
                c.SetOutput(0, OpSupport.InNhwc(c.Input(0), true, x => Normalize(x, null, scale1, offset1, mean1, variance1)));
                return;
            }
            c.SetOutput(0, Normalize(c.Input(0), c.TakeInput(0), c.Input(1), c.Input(2), c.Input(3), c.Input(4)));
        }

        // y = BN(x) into the free input itself when there is one, else a new tensor.
        private Tensor Normalize(Tensor x, Tensor? free, Tensor scale, Tensor offset, Tensor mean, Tensor variance)
        {
            if (x.Rank == 0) throw new GraphException("Batch normalisation needs a channel axis; the input is a scalar.");
            int ch = x.Shape[x.Rank - 1];
            if (scale.Length != ch || offset.Length != ch || mean.Length != ch || variance.Length != ch)
                throw new GraphException($"Batch normalisation of {x.Shape} needs scale, offset, mean and variance of {ch} values each.");
            var y = free ?? Tensor.Uninitialized(x.Shape);
            Kernels.BatchNorm.Inference(x.Span, mean.Span, variance.Span, scale.Span, offset.Span, _epsilon, y.Span);
            return y;
        }
    }
}
