using System.Text.Json.Nodes;
using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.NN.Layers;

/// <summary>Depthwise convolution layer (Keras DepthwiseConv2D): one window per channel, kernel [KH, KW, C, multiplier].</summary>
/// <example><code>new DepthwiseConv2D(3, padding: "same", activation: "relu6")</code></example>
public sealed class DepthwiseConv2D(int kernelSize, int strides = 1, string padding = "valid", int depthMultiplier = 1, string activation = "linear") : Layer
{
    private Parameter? _kernel, _bias;


    /// <summary>Square kernel size.</summary>
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Kernel size must be positive, got {kernelSize}.");
    /// <summary>Output channels per input channel.</summary>
    public int DepthMultiplier { get; } = depthMultiplier > 0 ? depthMultiplier : throw new ArgumentOutOfRangeException(nameof(depthMultiplier), $"Depth multiplier must be positive, got {depthMultiplier}.");
    /// <summary>Stride, padding, activation.</summary>
    public ConvOptions Options { get; } = new() { Stride = strides, Padding = Padding.Parse(padding), Activation = Kernels.Activation.Parse(activation) };

    /// <inheritdoc/>
    public override string TypeName => "DepthwiseConv2D";
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _kernel == null ? [] : [_kernel, _bias!];

    internal override long WeightCount(Shape inputShape) =>
        inputShape.Rank == 3 ? ((long)KernelSize * KernelSize + 1) * inputShape[2] * DepthMultiplier : 0;

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank != 3) throw new ArgumentException($"DepthwiseConv2D expects images (height, width, channels), got {inputShape}.");
        int c = inputShape[2];
        _kernel = new Parameter("kernel", Tensor.Uninitialized(new Shape(KernelSize, KernelSize, c, DepthMultiplier)));
        // Keras: fan_in = KH*KW*1 (one input channel per window), fan_out = KH*KW*multiplier.
        GlorotUniform(_kernel.Value, KernelSize * KernelSize, KernelSize * KernelSize * DepthMultiplier, rng);
        _bias = new Parameter("bias", Tensor.Zeros(c * DepthMultiplier));
        var g = Options.Geometry(inputShape[0], inputShape[1], KernelSize, KernelSize);
        return new Shape(g.OutH, g.OutW, c * DepthMultiplier);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        return ForwardActivated(input, tape, Options.Activation, a =>
            Convolution.DepthwiseConv2D(input, _kernel!.Value, _bias!.Value, a == Options.Activation ? Options : Options with { Activation = a }));
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        var saved = tape.Recall<ActivationRecord>(this);
        ActivationBackward(Options.Activation, saved.PreActivation, saved.Output!, outputGrad.Span);
        return Kernels.Convolution.DepthwiseConv2DBackward(saved.Input, _kernel!.Value, outputGrad, Options, _kernel.Grad, _bias!.Grad, needInputGrad);
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new()
    {
        ["kernel_size"] = KernelSize, ["strides"] = Options.StrideH, ["padding"] = Options.Padding.ToString(),
        ["depth_multiplier"] = DepthMultiplier, ["activation"] = Options.Activation.ToString(),
    };
}
