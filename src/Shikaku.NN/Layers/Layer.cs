using System.Text.Json.Nodes;
using Shikaku.Tensors;

namespace Shikaku.NN.Layers;

/// <summary>
/// A layer as in Keras: built once for an input shape (weights created then), then
/// <see cref="Forward"/> on batches and, in training, <see cref="Backward"/> with the gradient of
/// the loss with respect to its output. A layer holds its weights and nothing about a call: what its
/// backward pass needs is recorded on the <see cref="Tape"/> the training step owns, so inference
/// (no tape) on one model may run from many threads at once.
/// </summary>
public abstract class Layer
{
    private static int _counter;

    /// <summary>Unique name in a model, e.g. "conv2d_1".</summary>
    public string Name { get; set; } = "";

    /// <summary>Shape of one input example (no batch dimension); set by <see cref="Build"/>.</summary>
    public Shape InputShape { get; private set; }

    /// <summary>Shape of one output example.</summary>
    public Shape OutputShape { get; private set; }

    /// <summary>True once weights exist.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>Keras class name ("Conv2D", "Dense", ...).</summary>
    public abstract string TypeName { get; }

    /// <summary>The trainable parameters (empty for pooling, dropout, flatten).</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>Non-trainable tensors saved with the model (batch normalisation's moving averages).</summary>
    public virtual IReadOnlyList<(string Name, Tensor Value)> States => [];

    /// <summary>Total number of trainable values.</summary>
    public long ParameterCount => Parameters.Sum(p => (long)p.Value.Length);

    /// <summary>Creates weights for <paramref name="inputShape"/>, drawing initial values from <paramref name="rng"/>.</summary>
    public void Build(Shape inputShape, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (string.IsNullOrEmpty(Name)) Name = $"{TypeName.ToLowerInvariant()}_{Interlocked.Increment(ref _counter)}";
        InputShape = inputShape;
        BuildLimits.Current?.BeforeBuild(this, inputShape);
        OutputShape = BuildCore(inputShape, rng);
        BuildLimits.Current?.AfterBuild(this);
        IsBuilt = true;
    }

    /// <summary>
    /// How many values <see cref="BuildCore"/> allocates for weights and states on <paramref name="inputShape"/>
    /// (0 for a shape it will refuse): a model file is checked against it before anything is allocated.
    /// </summary>
    internal virtual long WeightCount(Shape inputShape) => 0;

    /// <summary>Checks the input shape, creates parameters, returns the output shape.</summary>
    protected abstract Shape BuildCore(Shape inputShape, Random rng);

    /// <summary>
    /// Computes the output for a batch [N, ...InputShape]. With a <paramref name="tape"/> this is a training
    /// pass: dropout and batch statistics are on, and what <see cref="Backward"/> needs is recorded on the tape.
    /// Without one it is inference, which keeps nothing and allocates nothing beyond the output.
    /// </summary>
    public abstract Tensor Forward(Tensor input, Tape? tape = null);

    /// <summary>
    /// Adds this layer's parameter gradients and returns d loss / d input (null when
    /// <paramref name="needInputGrad"/> is false, as for the first layer), from what the forward pass
    /// recorded on <paramref name="tape"/>.
    /// </summary>
    public abstract Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad);

    /// <summary>The layer's settings, as Keras writes them in model JSON.</summary>
    public abstract JsonObject Config();

    /// <summary>Throws a clear error when a batch does not match the built input shape.</summary>
    protected void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!IsBuilt) throw new InvalidOperationException($"Layer {Name} is used before it is built.");
        var expected = new Shape(InputShape.ToArray().Prepend(input.Shape[0]).ToArray());
        if (input.Shape != expected)
            throw new ArgumentException($"Layer {Name} ({TypeName}) expects input (batch, {string.Join(", ", InputShape)}), got {input.Shape}.");
    }

    /// <summary>What a layer with a fused activation keeps for backward: its input, its output (null after a fused
    /// pooling pass) and, for activations whose gradient needs it, the pre-activation.</summary>
    internal sealed record ActivationRecord(Tensor Input, Tensor? Output, Tensor? PreActivation = null);

    /// <summary>
    /// Runs <paramref name="compute"/> (the layer's op with the activation it is given) and records what backward
    /// needs when training. An activation whose gradient needs its input runs after a linear pass whose result
    /// the tape keeps; every other activation stays fused into the op.
    /// </summary>
    internal Tensor ForwardActivated(Tensor input, Tape? tape, Kernels.Activation activation, Func<Kernels.Activation, Tensor> compute)
    {
        if (tape != null && activation.GradientNeedsInput)
        {
            var pre = compute(Kernels.Activation.Linear);
            var activated = ActivateKeepingInput(pre, activation, tape);
            tape.Record(this, new ActivationRecord(input, activated, pre));
            return activated;
        }
        var output = compute(activation);
        tape?.Record(this, new ActivationRecord(input, output));
        return output;
    }

    /// <summary>
    /// Training with an activation whose gradient needs its input (GELU, swish, hard swish, PReLU): the layer ran
    /// without its activation, giving <paramref name="preActivation"/>, which the tape keeps; returns f(pre).
    /// </summary>
    internal static Tensor ActivateKeepingInput(Tensor preActivation, Kernels.Activation activation, Tape tape)
    {
        tape.Own(preActivation);
        var y = preActivation.Clone();
        activation.Apply(y.Span);
        return y;
    }

    /// <summary>grad *= f'(x): from the kept pre-activation when there is one, else from the output.</summary>
    internal static void ActivationBackward(Kernels.Activation activation, Tensor? preActivation, Tensor output, Span<float> grad)
    {
        if (preActivation != null) activation.Backward(preActivation.Span, output.Span, grad);
        else activation.Backward(output.Span, grad);
    }

    /// <summary>The shape of a batch of inputs with as many examples as <paramref name="outputGrad"/>: [N, ...InputShape].</summary>
    protected Shape BatchInputShape(Tensor outputGrad) => new(InputShape.ToArray().Prepend(outputGrad.Shape[0]).ToArray());

    /// <summary>Keras's default initialiser: uniform in ±sqrt(6 / (fan_in + fan_out)).</summary>
    protected static void GlorotUniform(Tensor t, int fanIn, int fanOut, Random rng)
    {
        float limit = MathF.Sqrt(6f / (fanIn + fanOut));
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (rng.NextSingle() * 2f - 1f) * limit;
    }
}
