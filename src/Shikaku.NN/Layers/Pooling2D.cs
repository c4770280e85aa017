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
    private Tensor? _input, _output;

    /// <inheritdoc/>
    public override string TypeName => "MaxPooling2D";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        CheckInput(input);
        _input = input;
        _output = Pooling.MaxPool2D(input, Options);
        return _output;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, bool needInputGrad) =>
        needInputGrad ? Kernels.Backward.MaxPool2D(_input!, _output!, outputGrad, Options) : null;
}

/// <summary>Average pooling (Keras AveragePooling2D); padded positions are not counted, as in TF.</summary>
/// <example><code>new AveragePooling2D(2)</code></example>
public sealed class AveragePooling2D(int poolSize = 2, int? strides = null, string padding = "valid") : Pooling2DLayer(poolSize, strides, padding)
{
    private Shape _batchShape;

    /// <inheritdoc/>
    public override string TypeName => "AveragePooling2D";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        CheckInput(input);
        _batchShape = input.Shape;
        return Pooling.AvgPool2D(input, Options);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, bool needInputGrad) =>
        needInputGrad ? Kernels.Backward.AvgPool2D(_batchShape, outputGrad, Options) : null;
}

/// <summary>Mean over all positions of each channel: (H, W, C) -> (C).</summary>
public sealed class GlobalAveragePooling2D : Layer
{
    private Shape _batchShape;

    /// <inheritdoc/>
    public override string TypeName => "GlobalAveragePooling2D";

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank != 3) throw new ArgumentException($"GlobalAveragePooling2D expects images (height, width, channels), got {inputShape}.");
        return new Shape(inputShape[2]);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        CheckInput(input);
        _batchShape = input.Shape;
        return Pooling.GlobalAvgPool(input);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, bool needInputGrad) =>
        needInputGrad ? Kernels.Backward.GlobalAvgPool(_batchShape, outputGrad) : null;

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
    public override Tensor Forward(Tensor input, bool training)
    {
        CheckInput(input);
        return input.Reshape(input.Shape[0], -1);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, bool needInputGrad) =>
        needInputGrad ? outputGrad.Reshape(new[] { outputGrad.Shape[0] }.Concat(InputShape).ToArray()) : null;

    /// <inheritdoc/>
    public override JsonObject Config() => [];
}

/// <summary>
/// Dropout (Keras): in training, zeroes each value with probability <c>rate</c> and scales the rest by
/// 1/(1-rate) (inverted dropout), so inference is the identity.
/// </summary>
public sealed class Dropout : Layer
{
    private byte[] _mask = [];
    private ulong _state = 0x9E3779B97F4A7C15UL;

    /// <summary>Drops a fraction <paramref name="rate"/> (0 &lt;= rate &lt; 1) of the values while training.</summary>
    public Dropout(double rate)
    {
        if (rate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(rate), $"Dropout rate must be in [0, 1), got {rate}.");
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
        _state = (ulong)rng.NextInt64() | 1UL;
        return inputShape;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, bool training)
    {
        CheckInput(input);
        if (!training || Rate == 0) return input.Reshape(input.Shape.ToArray()); // identity: a view, no copy
        var y = Tensor.Uninitialized(input.Shape);
        if (_mask.Length != y.Length) _mask = new byte[y.Length];
        if (FixedMask != null) FixedMask.CopyTo(_mask, 0);
        else
        {
            // xorshift64*: a fast, seeded generator; keep a value when its top 32 bits clear the rate.
            uint threshold = (uint)(Rate * 4294967296.0);
            ulong state = _state;
            for (int i = 0; i < _mask.Length; i++)
            {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                _mask[i] = (uint)((state * 0x2545F4914F6CDD1DUL) >> 32) >= threshold ? (byte)1 : (byte)0;
            }
            _state = state;
        }
        float scale = (float)(1.0 / (1.0 - Rate));
        var src = input.Span;
        var s = y.Span;
        for (int i = 0; i < s.Length; i++) s[i] = _mask[i] != 0 ? src[i] * scale : 0f;
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, bool needInputGrad)
    {
        if (!needInputGrad) return null;
        var dx = outputGrad.Clone();
        if (Rate == 0) return dx;
        float scale = (float)(1.0 / (1.0 - Rate));
        var s = dx.Span;
        for (int i = 0; i < s.Length; i++) s[i] = _mask[i] != 0 ? s[i] * scale : 0f;
        return dx;
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new() { ["rate"] = Rate };
}
