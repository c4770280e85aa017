using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>Age in years and the probabilities of the two gender classes the network was trained on (male, female).</summary>
public sealed record AgeGenderOutput(float Age, float MaleProbability, float FemaleProbability);

/// <summary>
/// face-api.js's age and gender net: a tiny Xception (entry flow, 2 middle blocks, exit flow) on the
/// 112x112 face crop, average-pooled, then a regression head (age) and a 2-class softmax head (gender).
/// </summary>
public sealed class AgeGenderNet : IDisposable
{
    private readonly Conv _convIn;
    private readonly ReductionBlock _reduction0, _reduction1, _exitReduction;
    private readonly SeparableConv[][] _main;
    private readonly SeparableConv _exitConv;
    private readonly FullyConnected _age, _gender;

    /// <summary>Builds the net from age_gender_model weights.</summary>
    public AgeGenderNet(WeightMap w)
    {
        ArgumentNullException.ThrowIfNull(w);
        _convIn = Conv.Load(w, "entry_flow/conv_in", 3, 3, 32, 2, Padding.Same, Activation.Relu);
        _reduction0 = new ReductionBlock(w, "entry_flow/reduction_block_0", 32, 64);
        _reduction1 = new ReductionBlock(w, "entry_flow/reduction_block_1", 64, 128);
        _main = Enumerable.Range(0, 2).Select(i => new[]
        {
            // relu(sep0) and relu(sep1) feed the next convolution only, so the ReLU is fused into them.
            new SeparableConv(w, $"middle_flow/main_block_{i}/separable_conv0", 128, 128, 1, Activation.Relu),
            new SeparableConv(w, $"middle_flow/main_block_{i}/separable_conv1", 128, 128, 1, Activation.Relu),
            new SeparableConv(w, $"middle_flow/main_block_{i}/separable_conv2", 128, 128, 1, Activation.Linear),
        }).ToArray();
        _exitReduction = new ReductionBlock(w, "exit_flow/reduction_block", 128, 256);
        _exitConv = new SeparableConv(w, "exit_flow/separable_conv", 256, 512, 1, Activation.Relu);
        _age = FullyConnected.Load(w, "fc/age", 512, 1);
        _gender = FullyConnected.Load(w, "fc/gender", 512, 2);
    }

    /// <summary>A face crop [1, h, w, 3] (pixels 0..255) -> age and gender probabilities.</summary>
    public AgeGenderOutput Forward(Tensor face)
    {
        ArgumentNullException.ThrowIfNull(face);
        using var x = NetInput.ToBatch(face, FaceFeatureExtractor.InputSize, centre: true);
        Ops.Normalize(x, FaceFeatureExtractor.MeanRgb, 255f);
        Tensor t = _convIn.Apply(x);
        using (var prev = t) t = _reduction0.Apply(prev, activateInput: false);
        using (var prev = t) t = _reduction1.Apply(prev, activateInput: true);
        foreach (var block in _main)
        {
            using var prev = t;
            using var r = Ops.Relu(prev);
            using var a = block[0].Apply(r);
            using var b = block[1].Apply(a);
            t = block[2].Apply(b);
            Ops.AddInPlace(t, prev);
        }
        using (var prev = t) t = _exitReduction.Apply(prev, activateInput: true);
        using (var prev = t) t = _exitConv.Apply(prev);
        using (t)
        using (var pooled4 = Pooling.AvgPool2D(t, new PoolOptions(7, 2, Padding.Valid)))
        using (var pooled = pooled4.Reshape(1, -1))
        using (var age = _age.Apply(pooled))
        using (var logits = _gender.Apply(pooled))
        {
            var p = new float[2];
            ElementwiseOps.Softmax(logits.Span, p, 2);
            return new AgeGenderOutput(age.Span[0], p[0], p[1]);
        }
    }

    public void Dispose()
    {
        _convIn.Dispose();
        _reduction0.Dispose();
        _reduction1.Dispose();
        _exitReduction.Dispose();
        foreach (var b in _main) foreach (var c in b) c.Dispose();
        _exitConv.Dispose();
        _age.Dispose();
        _gender.Dispose();
    }

    /// <summary>reductionBlock: sep0 -> relu -> sep1 -> 3x3/2 max pool, plus a strided 1x1 expansion of the input.</summary>
    private sealed class ReductionBlock : IDisposable
    {
        private readonly SeparableConv _sep0, _sep1;
        private readonly Conv _expansion;

        public ReductionBlock(WeightMap w, string prefix, int cin, int cout)
        {
            _sep0 = new SeparableConv(w, $"{prefix}/separable_conv0", cin, cout, 1, Activation.Relu);
            _sep1 = new SeparableConv(w, $"{prefix}/separable_conv1", cout, cout, 1, Activation.Linear);
            _expansion = Conv.Load(w, $"{prefix}/expansion_conv", 1, cin, cout, 2, Padding.Same, Activation.Linear);
        }

        public Tensor Apply(Tensor x, bool activateInput)
        {
            Tensor a;
            if (activateInput)
                using (var r = Ops.Relu(x)) a = _sep0.Apply(r);
            else a = _sep0.Apply(x);
            Tensor pooled;
            using (a)
            using (var b = _sep1.Apply(a))
                pooled = Pooling.MaxPool2D(b, new PoolOptions(3, 2, Padding.Same));
            using var expanded = _expansion.Apply(x);
            Ops.AddInPlace(pooled, expanded);
            return pooled;
        }

        public void Dispose()
        {
            _sep0.Dispose();
            _sep1.Dispose();
            _expansion.Dispose();
        }
    }
}
