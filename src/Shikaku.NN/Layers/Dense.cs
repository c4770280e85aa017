using System.Text.Json.Nodes;
using Shikaku.Kernels;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.NN.Layers;

/// <summary>Fully connected layer (Keras Dense): y = act(x W + b), W is [inputs, units].</summary>
/// <example><code>new Dense(128, activation: "relu"); new Dense(10, activation: "softmax")</code></example>
public sealed class Dense : Layer
{
    private Parameter? _kernel, _bias;
    private readonly Activation _activation;

    /// <summary>A dense layer of <paramref name="units"/> outputs; activation: linear, relu, relu6, sigmoid, tanh, leaky_relu or softmax.</summary>
    public Dense(int units, string activation = "linear")
    {
        if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), $"Dense needs at least 1 unit, got {units}.");
        Units = units;
        IsSoftmax = activation.Trim().Equals("softmax", StringComparison.OrdinalIgnoreCase);
        _activation = IsSoftmax ? Activation.Linear : Activation.Parse(activation);
    }

    /// <summary>Number of outputs.</summary>
    public int Units { get; }
    /// <summary>True for a softmax output layer (probabilities).</summary>
    public bool IsSoftmax { get; }
    /// <summary>
    /// Set by the model when a cross-entropy loss hands this softmax layer the gradient with respect
    /// to its logits (p - onehot), the stable fused form.
    /// </summary>
    internal bool GradientIsForLogits { get; set; }

    /// <inheritdoc/>
    public override string TypeName => "Dense";
    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters => _kernel == null ? [] : [_kernel, _bias!];

    internal override long WeightCount(Shape inputShape) => inputShape.Rank == 1 ? ((long)inputShape[0] + 1) * Units : 0;

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        if (inputShape.Rank != 1) throw new ArgumentException($"Dense expects flat inputs (features,), got {inputShape}; add a Flatten layer before it.");
        int inputs = inputShape[0];
        _kernel = new Parameter("kernel", Tensor.Uninitialized(new Shape(inputs, Units)));
        GlorotUniform(_kernel.Value, inputs, Units, rng);
        _bias = new Parameter("bias", Tensor.Zeros(Units));
        return new Shape(Units);
    }

    /// <inheritdoc/>
    private sealed record Saved(Tensor Input, Tensor Output, Tensor? PreActivation = null);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        int n = input.Shape[0], k = InputShape[0];
        bool keepInput = tape != null && _activation.GradientNeedsInput;
        var y = Tensor.Uninitialized(new Shape(n, Units));
        Sgemm.Multiply(false, false, n, Units, k, 1f, input.Span, k, _kernel!.Value.Span, Units, 0f, y.Span, Units, _bias!.Value.Span,
            keepInput ? Activation.Linear : _activation);
        if (keepInput)
        {
            var activated = ActivateKeepingInput(y, _activation, tape!);
            tape!.Record(this, new Saved(input, activated, y));
            return activated;
        }
        if (IsSoftmax) ElementwiseOps.Softmax(y.Span, y.Span, Units);
        tape?.Record(this, new Saved(input, y));
        return y;
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        var (input, output, preActivation) = tape.Recall<Saved>(this);
        int n = input.Shape[0], k = InputShape[0];
        var dz = outputGrad.Span;
        if (IsSoftmax && !GradientIsForLogits)
        {
            // Softmax Jacobian times g: dz_i = p_i (g_i - Σ_j g_j p_j).
            var p = output.Span;
            for (int r = 0; r < n; r++)
            {
                var pr = p.Slice(r * Units, Units);
                var gr = dz.Slice(r * Units, Units);
                float dot = TensorPrimitives.Dot(pr, gr);
                TensorPrimitives.Subtract(gr, dot, gr);
                TensorPrimitives.Multiply(gr, pr, gr);
            }
        }
        else
        {
            ActivationBackward(_activation, preActivation, output, dz);
        }
        // dW += xᵀ dz, db += Σ dz, dx = dz Wᵀ
        Sgemm.Multiply(true, false, k, Units, n, 1f, input.Span, k, dz, Units, 1f, _kernel!.Grad.Span, Units);
        Kernels.Sgemm.AddColumnSums(dz, Units, _bias!.Grad.Span);
        if (!needInputGrad) return null;
        var dx = Tensor.Uninitialized(input.Shape);
        Sgemm.Multiply(false, true, n, k, Units, 1f, dz, Units, _kernel.Value.Span, Units, 0f, dx.Span, k);
        return dx;
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new() { ["units"] = Units, ["activation"] = IsSoftmax ? "softmax" : _activation.ToString() };
}
