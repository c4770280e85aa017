using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Numerics;
using System.Text.Json.Nodes;
using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.NN.Layers;

/// <summary>What max and average pooling layers share: the window, its shape rules and its JSON.</summary>
public abstract class Pooling2DLayer(int poolSize, int? strides, string padding) : Layer
{
    /// <summary>Window, stride and padding.</summary>
    public PoolOptions Options { get; } = new(poolSize, strides, Padding.Parse(padding));

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank != 3) throw new ArgumentException($"{TypeName} expects images (height, width, channels), got {inputShape}.");
        var g = Options.Geometry(inputShape[0], inputShape[1]);
        return new Shape(g.OutH, g.OutW, inputShape[2]);
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new() { ["pool_size"] = Options.SizeH, ["strides"] = Options.StrideH, ["padding"] = Options.Padding.ToString() };
}

/// <summary>Max pooling (Keras MaxPooling2D); the stride defaults to the pool size.</summary>
/// <example><code>new MaxPooling2D(2)</code></example>
public sealed class MaxPooling2D(int poolSize = 2, int? strides = null, string padding = "valid") : Pooling2DLayer(poolSize, strides, padding)
{
    private sealed record Saved(Tensor Input, Tensor Output);

    /// <summary>After a training pass fused with the ReLU convolution before: the pooled output and each window's maximum tap.</summary>
    internal sealed record FusedTaps(Tensor Pooled, byte[] Argmax, int Length);

    /// <inheritdoc/>
    public override string TypeName => "MaxPooling2D";

    /// <summary>2x2 windows, stride 2, no padding: the pooling the convolution kernels can fuse.</summary>
    internal bool IsFusable2x2 => Options is { SizeH: 2, SizeW: 2, StrideH: 2, StrideW: 2, Padding.Kind: PaddingKind.Valid };

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        var output = Pooling.MaxPool2D(input, Options);
        tape?.Record(this, new Saved(input, output));
        return output;
    }

    /// <summary>
    /// Training forward fused with the ReLU convolution before (this pooling 2x2): the convolution's full-size
    /// output is never stored; the tap that held each maximum is kept on the tape for <see cref="Conv2D.BackwardThroughPooling"/>.
    /// </summary>
    internal Tensor ForwardAfter(Conv2D conv, Tensor input, Tape tape)
    {
        int pooled = input.Shape[0] * (conv.OutputShape[0] / 2) * (conv.OutputShape[1] / 2) * conv.OutputShape[2];
        var argmax = tape.Rent<byte>(pooled);
        var output = conv.ForwardMaxPooled(input, argmax.AsSpan(0, pooled), tape);
        tape.Record(this, new FusedTaps(output, argmax, pooled));
        return output;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        if (!needInputGrad) return null;
        var saved = Unfused(tape);
        return Kernels.Pooling.MaxPool2DBackward(saved.Input, saved.Output, outputGrad, Options);
    }

    /// <summary>Whether the forward pass on <paramref name="tape"/> ran fused with its convolution and recorded the maximum taps.</summary>
    internal bool RanFused(Tape tape) => tape.Find<FusedTaps>(this) != null;

    /// <summary>
    /// Backward (after an unfused forward pass) when the pooled input is a ReLU's output: the ReLU's gradient is
    /// applied in the same pass, so the result is the gradient of the layer before's pre-activation sum.
    /// </summary>
    internal Tensor BackwardThroughRelu(Tensor outputGrad, Tape tape)
    {
        var saved = Unfused(tape);
        return Kernels.Pooling.MaxPool2DBackward(saved.Input, saved.Output, outputGrad, Options, throughRelu: true);
    }

    private Saved Unfused(Tape tape) => tape.Find<Saved>(this)
        ?? (RanFused(tape) ? throw new InvalidOperationException("This pooling ran fused with its convolution; its gradient continues through Conv2D.BackwardThroughPooling.")
            : tape.Recall<Saved>(this));
}

/// <summary>Average pooling (Keras AveragePooling2D); padded positions are not counted, as in TF.</summary>
/// <example><code>new AveragePooling2D(2)</code></example>
public sealed class AveragePooling2D(int poolSize = 2, int? strides = null, string padding = "valid") : Pooling2DLayer(poolSize, strides, padding)
{
    /// <inheritdoc/>
    public override string TypeName => "AveragePooling2D";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        return Pooling.AvgPool2D(input, Options);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad) =>
        needInputGrad ? Kernels.Pooling.AvgPool2DBackward(BatchInputShape(outputGrad), outputGrad, Options) : null;
}

/// <summary>Mean over all positions of each channel: (H, W, C) -> (C).</summary>
public sealed class GlobalAveragePooling2D : Layer
{
    /// <inheritdoc/>
    public override string TypeName => "GlobalAveragePooling2D";

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank != 3) throw new ArgumentException($"GlobalAveragePooling2D expects images (height, width, channels), got {inputShape}.");
        return new Shape(inputShape[2]);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        return Pooling.GlobalAvgPool(input);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad) =>
        needInputGrad ? Kernels.Pooling.GlobalAvgPoolBackward(BatchInputShape(outputGrad), outputGrad) : null;

    /// <inheritdoc/>
    public override JsonObject Config() => [];
}

/// <summary>Flattens each example to a vector (a view, no copy).</summary>
public sealed class Flatten : Layer
{
    /// <inheritdoc/>
    public override string TypeName => "Flatten";

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng) => new(inputShape.Length);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        return input.Reshape(input.Shape[0], -1);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad) =>
        needInputGrad ? outputGrad.Reshape(BatchInputShape(outputGrad).ToArray()) : null;

    /// <inheritdoc/>
    public override JsonObject Config() => [];
}

/// <summary>
/// Dropout (Keras): in training, zeroes each value with probability <c>rate</c> and scales the rest by
/// 1/(1-rate) (inverted dropout), so inference is the identity.
/// </summary>
public sealed class Dropout : Layer
{
    // The random streams advance with each training pass (training is one pass at a time; inference never draws).
    private uint[] _state = [];

    // Per value of one training pass: 0 (dropped) or 1 / (1 - rate) (kept, rescaled); rented from the tape.
    private sealed record Mask(float[] Values, int Length);

    /// <summary>Drops a fraction <paramref name="rate"/> (0 &lt;= rate &lt; 1) of the values while training.</summary>
    public Dropout(double rate)
    {
        // Written as "not in range" so that NaN, which fails every comparison, is refused too.
        if (!(rate is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(rate), $"Dropout rate must be in [0, 1), got {rate}.");
        Rate = rate;
    }

    /// <summary>Fraction dropped.</summary>
    public double Rate { get; }

    /// <summary>For tests: a fixed mask (1 = keep) used instead of random draws.</summary>
    internal byte[]? FixedMask { get; set; }

    /// <inheritdoc/>
    public override string TypeName => "Dropout";

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        // One xorshift32 stream per vector lane, each seeded from the model's generator (never zero).
        _state = new uint[Vector<uint>.Count];
        for (int i = 0; i < _state.Length; i++) _state[i] = (uint)rng.Next(1, int.MaxValue);
        return inputShape;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        if (tape == null || Rate == 0) return input.Reshape(input.Shape.ToArray()); // identity: a view, no copy
        var y = Tensor.Uninitialized(input.Shape);
        var values = tape.Rent<float>(y.Length);
        var mask = values.AsSpan(0, y.Length);
        float scale = (float)(1.0 / (1.0 - Rate));
        if (FixedMask != null)
            for (int i = 0; i < mask.Length; i++) mask[i] = FixedMask[i] != 0 ? scale : 0f;
        else
            DrawMask(mask, scale);
        TensorPrimitives.Multiply(input.Span, mask, y.Span);
        tape.Record(this, new Mask(values, y.Length));
        return y;
    }

    // Vectorised xorshift32 (13, 17, 5), one stream per lane: a value is kept when its draw clears the rate.
    private void DrawMask(Span<float> mask, float scale)
    {
        if (_state.Length != Vector<uint>.Count) _state = Enumerable.Range(1, Vector<uint>.Count).Select(i => 0x9E3779B9u * (uint)i).ToArray();
        var state = new Vector<uint>(_state);
        var threshold = new Vector<uint>((uint)Math.Min(uint.MaxValue, Rate * 4294967296.0));
        var keep = new Vector<float>(scale);
        int lanes = Vector<uint>.Count, i = 0;
        for (; i <= mask.Length - lanes; i += lanes)
        {
            state ^= Vector.ShiftLeft(state, 13);
            state ^= Vector.ShiftRightLogical(state, 17);
            state ^= Vector.ShiftLeft(state, 5);
            var kept = Vector.GreaterThanOrEqual(state, threshold);
            Vector.BitwiseAnd(Vector.AsVectorSingle(kept), keep).CopyTo(mask[i..]);
        }
        if (i < mask.Length)
        {
            state ^= Vector.ShiftLeft(state, 13);
            state ^= Vector.ShiftRightLogical(state, 17);
            state ^= Vector.ShiftLeft(state, 5);
            for (int lane = 0; i < mask.Length; i++, lane++) mask[i] = state[lane] >= threshold[0] ? scale : 0f;
        }
        state.CopyTo(_state);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        if (!needInputGrad) return null;
        if (Rate == 0) return outputGrad.Clone();
        var mask = tape.Recall<Mask>(this);
        var dx = Tensor.Uninitialized(outputGrad.Shape);
        TensorPrimitives.Multiply(outputGrad.Span, mask.Values.AsSpan(0, mask.Length), dx.Span);
        return dx;
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new() { ["rate"] = Rate };
}
