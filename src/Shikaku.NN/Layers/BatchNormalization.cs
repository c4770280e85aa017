using System.Text.Json.Nodes;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.NN.Layers;

/// <summary>
/// Batch normalisation over the last axis (channels), as Keras: in training, normalise with the
/// batch's mean and variance and update moving averages (momentum 0.99); in inference, use the
/// moving averages. y = gamma (x - mean) / sqrt(var + epsilon) + beta.
/// </summary>
/// <example><code>new BatchNormalization()</code></example>
public sealed class BatchNormalization(double momentum = 0.99, double epsilon = 1e-3) : Layer
{
    private Parameter? _gamma, _beta;
    private Tensor? _movingMean, _movingVariance;

    // A training pass's normalised input x̂ (owned by the tape) and 1 / sqrt(var + epsilon) per channel.
    private sealed record Saved(Tensor Normalized, float[] InvStd);

    /// <summary>Weight of the old moving average at each update, in [0, 1].</summary>
    public double Momentum { get; } = momentum is >= 0 and <= 1 ? momentum
        : throw new ArgumentOutOfRangeException(nameof(momentum), $"Batch normalisation momentum must be in [0, 1], got {momentum}.");
    /// <summary>Added to the variance before the square root; finite and above 0.</summary>
    public double Epsilon { get; } = double.IsFinite(epsilon) && epsilon > 0 ? epsilon
        : throw new ArgumentOutOfRangeException(nameof(epsilon), $"Batch normalisation epsilon must be a finite number above 0, got {epsilon}.");

    /// <inheritdoc/>
    public override string TypeName => "BatchNormalization";
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _gamma == null ? [] : [_gamma, _beta!];
    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Tensor Value)> States => _movingMean == null ? [] : [("moving_mean", _movingMean), ("moving_variance", _movingVariance!)];

    internal override long WeightCount(Shape inputShape) => inputShape.Rank > 0 ? 4L * inputShape[inputShape.Rank - 1] : 0;

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank == 0) throw new ArgumentException("BatchNormalization needs inputs with at least one axis (the channels).");
        int c = inputShape[inputShape.Rank - 1];
        _gamma = new Parameter("gamma", Tensor.Full(new Shape(c), 1f));
        _beta = new Parameter("beta", Tensor.Zeros(c));
        _movingMean = Tensor.Zeros(c);
        _movingVariance = Tensor.Full(new Shape(c), 1f);
        return inputShape;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        int c = _gamma!.Value.Length, rows = input.Length / c;
        var x = input.Span;
        var y = Tensor.Uninitialized(input.Shape);
        var ys = y.Span;
        if (tape == null)
        {
            // Inference with the moving averages, in the training pass's order of operations (same values);
            // nothing about the call is kept, so one model can serve many threads at once.
            Kernels.BatchNorm.Inference(x, _movingMean!.Span, _movingVariance!.Span, _gamma.Value.Span, _beta!.Value.Span, (float)Epsilon, ys);
            return y;
        }
        var mean = new float[c];
        var variance = new float[c];
        // Two passes (mean, then squared deviations) for a stable variance.
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(mean, x.Slice(r * c, c), mean);
        TensorPrimitives.Multiply(mean, 1f / rows, mean);
        var dev = new float[c];
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Subtract(x.Slice(r * c, c), mean, dev);
            TensorPrimitives.MultiplyAdd(dev, dev, variance, variance);
        }
        TensorPrimitives.Multiply(variance, 1f / rows, variance);
        float m = (float)Momentum;
        var movingMean = _movingMean!.Span;
        var movingVariance = _movingVariance!.Span;
        for (int j = 0; j < c; j++)
        {
            movingMean[j] = movingMean[j] * m + mean[j] * (1 - m);
            movingVariance[j] = movingVariance[j] * m + variance[j] * (1 - m);
        }
        var invStd = variance.Select(v => 1f / MathF.Sqrt(v + (float)Epsilon)).ToArray();
        var normalized = tape.Own(Tensor.Uninitialized(input.Shape));
        var xhat = normalized.Span;
        for (int r = 0; r < rows; r++)
        {
            var xr = xhat.Slice(r * c, c);
            TensorPrimitives.Subtract(x.Slice(r * c, c), mean, xr);
            TensorPrimitives.Multiply(xr, invStd, xr);
            TensorPrimitives.FusedMultiplyAdd(xr, _gamma.Value.Span, _beta!.Value.Span, ys.Slice(r * c, c));
        }
        tape.Record(this, new Saved(normalized, invStd));
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        var (normalized, invStd) = tape.Recall<Saved>(this);
        // With x̂ = (x - μ)/s: dγ = Σ dy·x̂, dβ = Σ dy, dx = γ/s · (dy - mean(dy) - x̂·mean(dy·x̂)).
        int c = _gamma!.Value.Length, rows = outputGrad.Length / c;
        var dy = outputGrad.Span;
        var xhat = normalized.Span;
        var sumDy = new float[c];
        var sumDyXhat = new float[c];
        for (int r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(sumDy, dy.Slice(r * c, c), sumDy);
            TensorPrimitives.MultiplyAdd(dy.Slice(r * c, c), xhat.Slice(r * c, c), sumDyXhat, sumDyXhat);
        }
        TensorPrimitives.Add(_gamma.Grad.Span, sumDyXhat, _gamma.Grad.Span);
        TensorPrimitives.Add(_beta!.Grad.Span, sumDy, _beta.Grad.Span);
        if (!needInputGrad) return null;
        var scale = new float[c];
        TensorPrimitives.Multiply(_gamma.Value.Span, invStd, scale);
        TensorPrimitives.Multiply(sumDy, 1f / rows, sumDy);
        TensorPrimitives.Multiply(sumDyXhat, 1f / rows, sumDyXhat);
        var dx = Tensor.Uninitialized(outputGrad.Shape);
        var d = dx.Span;
        var tmp = new float[c];
        for (int r = 0; r < rows; r++)
        {
            var dr = d.Slice(r * c, c);
            TensorPrimitives.Multiply(xhat.Slice(r * c, c), sumDyXhat, tmp);
            TensorPrimitives.Subtract(dy.Slice(r * c, c), sumDy, dr);
            TensorPrimitives.Subtract(dr, tmp, dr);
            TensorPrimitives.Multiply(dr, scale, dr);
        }
        return dx;
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new() { ["momentum"] = Momentum, ["epsilon"] = Epsilon };
}
