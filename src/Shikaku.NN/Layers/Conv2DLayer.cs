using System.Text.Json.Nodes;
using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.NN.Layers;

/// <summary>2-D convolution layer (Keras Conv2D): HWIO kernel, bias, fused activation.</summary>
/// <example><code>new Conv2D(32, 3, activation: "relu")</code></example>
public sealed class Conv2D(int filters, int kernelSize, int strides = 1, string padding = "valid", string activation = "linear", int dilation = 1) : Layer
{
    private Parameter? _kernel, _bias;


    /// <summary>Number of output channels.</summary>
    public int Filters { get; } = filters > 0 ? filters : throw new ArgumentOutOfRangeException(nameof(filters), $"Conv2D needs at least 1 filter, got {filters}.");
    /// <summary>Square kernel size.</summary>
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Kernel size must be positive, got {kernelSize}.");
    /// <summary>The kernel options (stride, padding, dilation, activation).</summary>
    public ConvOptions Options { get; } = new() { Stride = strides, Dilation = dilation, Padding = Padding.Parse(padding), Activation = Kernels.Activation.Parse(activation) };

    /// <inheritdoc/>
    public override string TypeName => "Conv2D";
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _kernel == null ? [] : [_kernel, _bias!];

    internal override long WeightCount(Shape inputShape) =>
        inputShape.Rank == 3 ? ((long)KernelSize * KernelSize * inputShape[2] + 1) * Filters : 0;

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank != 3) throw new ArgumentException($"Conv2D expects images (height, width, channels), got {inputShape}.");
        int c = inputShape[2];
        _kernel = new Parameter("kernel", Tensor.Uninitialized(new Shape(KernelSize, KernelSize, c, Filters)));
        GlorotUniform(_kernel.Value, KernelSize * KernelSize * c, KernelSize * KernelSize * Filters, rng);
        _bias = new Parameter("bias", Tensor.Zeros(Filters));
        var out4 = Convolution.OutputShape(new Shape(1, inputShape[0], inputShape[1], c), _kernel.Value.Shape, Options);
        return new Shape(out4[1], out4[2], out4[3]);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        return ForwardActivated(input, tape, Options.Activation, a =>
            Convolution.Conv2D(input, _kernel!.Value, _bias!.Value, a == Options.Activation ? Options : Options with { Activation = a }));
    }

    /// <summary>
    /// This layer followed by 2x2 max pooling (stride 2, valid), fused so the full-size convolution output never
    /// reaches memory. Same values as Forward then MaxPooling2D(2). For training, <paramref name="argmax"/> records
    /// each window's maximum tap, and the input is kept for the weight gradient (the output is not: the backward
    /// pass starts from the pooling's gradient through the ReLU, <see cref="BackwardFromPreActivation"/>).
    /// </summary>
    internal Tensor ForwardMaxPooled(Tensor input, Span<byte> argmax = default, Tape? tape = null)
    {
        CheckInput(input);
        tape?.Record(this, new ActivationRecord(input, null));
        return Convolution.Conv2DMaxPool2x2(input, _kernel!.Value, _bias!.Value, Options, argmax);
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        var saved = tape.Recall<ActivationRecord>(this);
        var output = saved.Output
            ?? throw new InvalidOperationException($"Layer {Name} ran fused with its pooling; its gradient continues through BackwardThroughPooling.");
        ActivationBackward(Options.Activation, saved.PreActivation, output, outputGrad.Span);
        return BackwardFromPreActivation(outputGrad, tape, needInputGrad);
    }

    /// <summary>
    /// Backward of this ReLU convolution and the 2x2 max pooling after it, fused forward (<see cref="MaxPooling2D.RanFused"/>):
    /// from the pooled gradient, without building the convolution's output gradient for the whole batch.
    /// </summary>
    internal Tensor? BackwardThroughPooling(MaxPooling2D pool, Tensor pooledGrad, Tape tape, bool needInputGrad)
    {
        var taps = tape.Recall<MaxPooling2D.FusedTaps>(pool);
        return Kernels.Convolution.Conv2DReluMaxPool2x2Backward(tape.Recall<ActivationRecord>(this).Input, _kernel!.Value, taps.Pooled, taps.Argmax, pooledGrad, Options,
            _kernel.Grad, _bias!.Grad, needInputGrad);
    }

    /// <summary>Backward from the gradient of the pre-activation sum (the activation's gradient already applied).</summary>
    internal Tensor? BackwardFromPreActivation(Tensor preActivationGrad, Tape tape, bool needInputGrad) =>
        Kernels.Convolution.Conv2DBackward(tape.Recall<ActivationRecord>(this).Input, _kernel!.Value, preActivationGrad, Options with { Activation = Kernels.Activation.Linear },
            _kernel.Grad, _bias!.Grad, needInputGrad);

    /// <inheritdoc/>
    public override JsonObject Config() => new()
    {
        ["filters"] = Filters, ["kernel_size"] = KernelSize, ["strides"] = Options.StrideH,
        ["padding"] = Options.Padding.ToString(), ["dilation_rate"] = Options.DilationH, ["activation"] = Options.Activation.ToString(),
    };
}
