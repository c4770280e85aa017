using System.Globalization;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>The activation functions a kernel can apply to its output; each is a struct in Kernels/Activations.</summary>
public enum ActivationKind
{
    /// <summary>Identity.</summary>
    Linear,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, 0), 6).</summary>
    Relu6,
    /// <summary>x if x &gt; 0, else alpha * x.</summary>
    LeakyRelu,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>x * relu6(x + 3) / 6 (MobileNetV3's hard swish, Keras' hard_silu).</summary>
    HardSwish,
    /// <summary>x * sigmoid(x) (SiLU).</summary>
    Swish,
    /// <summary>x * Φ(x), Φ the standard normal CDF: 0.5 x (1 + erf(x / √2)).</summary>
    Gelu,
    /// <summary>GELU's tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) (Keras approximate=True).</summary>
    GeluTanh,
    /// <summary>x if x &gt; 0, else alpha (e^x - 1).</summary>
    Elu,
    /// <summary>log(1 + e^x).</summary>
    Softplus,
    /// <summary>x if x &gt; 0, else alpha[c] * x with a learned slope per channel (<see cref="Activation.Slopes"/>).</summary>
    PRelu,
}

/// <summary>
/// An activation function and its parameter: the slope of <see cref="ActivationKind.LeakyRelu"/>, the alpha of
/// <see cref="ActivationKind.Elu"/>, or the per-channel slopes of <see cref="ActivationKind.PRelu"/>.
/// </summary>
/// <example><code>
/// var a = Activation.LeakyRelu(0.1f);
/// var g = Activation.Parse("gelu");
/// g.Apply(values);   // in place
/// </code></example>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0f)
{
    public static Activation Linear => new(ActivationKind.Linear);
    public static Activation Relu => new(ActivationKind.Relu);
    public static Activation Relu6 => new(ActivationKind.Relu6);
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);
    public static Activation Tanh => new(ActivationKind.Tanh);
    /// <summary>Leaky ReLU; Keras's default slope is 0.3, TF's tf.nn.leaky_relu uses 0.2.</summary>
    public static Activation LeakyRelu(float alpha = 0.3f) => new(ActivationKind.LeakyRelu, alpha);
    /// <summary>x * relu6(x + 3) / 6.</summary>
    public static Activation HardSwish => new(ActivationKind.HardSwish);
    /// <summary>x * relu6(x + 3) * <paramref name="scale"/>: hard-swish with the constant a converted model stored for 1/6.</summary>
    public static Activation HardSwishScaled(float scale) =>
        scale > 0f && float.IsFinite(scale) ? new(ActivationKind.HardSwish, scale) : throw new ArgumentOutOfRangeException(nameof(scale), scale, "The hard-swish scale must be positive, e.g. 1/6.");
    /// <summary>x * sigmoid(x); also called SiLU.</summary>
    public static Activation Swish => new(ActivationKind.Swish);
    /// <summary>GELU: exact (erf) by default, the tanh approximation with <paramref name="approximate"/>, as Keras' gelu(x, approximate).</summary>
    public static Activation Gelu(bool approximate = false) => new(approximate ? ActivationKind.GeluTanh : ActivationKind.Gelu);
    /// <summary>ELU; Keras's default alpha is 1.</summary>
    public static Activation Elu(float alpha = 1f) => new(ActivationKind.Elu, alpha);
    /// <summary>log(1 + e^x), computed without overflow for large x.</summary>
    public static Activation Softplus => new(ActivationKind.Softplus);

    /// <summary>
    /// PReLU with one slope per channel (the last axis): x if x &gt; 0, else slopes[c] * x. The tensor is read,
    /// not copied, each time the activation runs; a slope tensor of a whole trailing shape (Keras' default
    /// alpha of shape H x W x C) works too, as the values repeat with its length.
    /// </summary>
    public static Activation PRelu(Tensor slopes)
    {
        ArgumentNullException.ThrowIfNull(slopes);
        if (slopes.Shape.Length == 0) throw new ArgumentException("PReLU needs at least one slope.", nameof(slopes));
        return new Activation(ActivationKind.PRelu) { Slopes = slopes };
    }

    /// <summary>The per-channel slopes of <see cref="ActivationKind.PRelu"/>; null otherwise.</summary>
    public Tensor? Slopes { get; init; }

    /// <summary>
    /// Parses "relu", "relu6", "leaky_relu", "leaky_relu:0.1", "sigmoid", "tanh", "linear", "hard_swish"
    /// ("hard_silu"), "swish" ("silu"), "gelu", "gelu:tanh", "elu", "elu:0.5", "softplus" (Keras's names).
    /// </summary>
    public static Activation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().ToLowerInvariant().Split(':', 2);
        foreach (var function in ActivationFunction.All)
            if (Array.IndexOf(function.Names, parts[0]) >= 0)
                return function.Parse(parts.Length == 2 ? parts[1] : null);
        throw new FormatException($"Unknown activation '{text}'; use linear, relu, relu6, leaky_relu[:alpha], sigmoid, tanh, hard_swish, swish, gelu[:tanh], elu[:alpha] or softplus.");
    }

    /// <summary>A slope or alpha after "name:", or a clear error.</summary>
    internal static float ParseParameter(string name, string parameter) =>
        float.TryParse(parameter, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
            ? value
            : throw new FormatException($"The {name} parameter '{parameter}' is not a number; write e.g. '{name}:0.1'.");

    /// <summary>A fused PReLU reads one slope per output channel: checks that there are <paramref name="channels"/>.</summary>
    internal void ExpectChannels(int channels, string where)
    {
        if (Kind == ActivationKind.PRelu && Slopes != null && Slopes.Shape.Length != channels)
            throw new ArgumentException($"The PReLU of {where} has {Slopes.Shape.Length} slopes ({Slopes.Shape}) but {channels} output channels; give one slope per channel.");
    }

    /// <summary>The function, as a virtual call per span.</summary>
    internal ActivationFunction Function => ActivationFunction.For(Kind);

    /// <summary>True when the backward pass needs the activation's input, not only its output (GELU, swish, hard swish, PReLU).</summary>
    public bool GradientNeedsInput => !Function.GradientFromOutput(this);

    /// <summary>x = f(x) in place.</summary>
    public void Apply(Span<float> x) => Apply(x, 0);

    /// <summary>x = f(x) in place, x[0] being at <paramref name="channel"/> of the last axis (for per-channel slopes).</summary>
    internal void Apply(Span<float> x, int channel)
    {
        // Kernels call this per row even without an activation: the identity costs no virtual call.
        if (Kind != ActivationKind.Linear) Function.Apply(this, x, channel);
    }

    /// <summary>f(x) for one value, through the same code as a span.</summary>
    public float Apply(float x)
    {
        Span<float> one = [x];
        Apply(one);
        return one[0];
    }

    /// <summary>
    /// grad *= f'(x), written through the activation's output y (ReLU: y &gt; 0; sigmoid: y(1-y); tanh: 1-y²).
    /// For the activations whose derivative the output does not determine (<see cref="GradientNeedsInput"/>),
    /// use the overload with the input.
    /// </summary>
    public void Backward(ReadOnlySpan<float> output, Span<float> grad)
    {
        if (GradientNeedsInput)
            throw new NotSupportedException($"The gradient of {this} depends on the activation's input, not only its output; keep the input and call Backward(input, output, grad).");
        if (output.Length < grad.Length) throw new ArgumentException($"The {this} output has {output.Length} values, its gradient {grad.Length}.", nameof(output));
        Function.ApplyGradient(this, ReadOnlySpan<float>.Empty, output, grad, 0);
    }

    /// <summary>grad *= f'(x) from the activation's input x and output y = f(x).</summary>
    public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, Span<float> grad)
    {
        if (input.Length < grad.Length) throw new ArgumentException($"The {this} input has {input.Length} values, its gradient {grad.Length}.", nameof(input));
        if (output.Length < grad.Length) throw new ArgumentException($"The {this} output has {output.Length} values, its gradient {grad.Length}.", nameof(output));
        Function.ApplyGradient(this, input, output, grad, 0);
    }

    public override string ToString() => Function.Format(this);
}
