namespace Shikaku.Kernels;

/// <summary>The activation functions a kernel can fuse into its output.</summary>
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
}

/// <summary>An activation function and its parameter (the slope of <see cref="ActivationKind.LeakyRelu"/>).</summary>
/// <example><code>var a = Activation.LeakyRelu(0.1f);</code></example>
public readonly record struct Activation(ActivationKind Kind, float Alpha = 0f)
{
    public static Activation Linear => new(ActivationKind.Linear);
    public static Activation Relu => new(ActivationKind.Relu);
    public static Activation Relu6 => new(ActivationKind.Relu6);
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);
    public static Activation Tanh => new(ActivationKind.Tanh);
    /// <summary>Leaky ReLU; Keras's default slope is 0.3, TF's tf.nn.leaky_relu uses 0.2.</summary>
    public static Activation LeakyRelu(float alpha = 0.3f) => new(ActivationKind.LeakyRelu, alpha);

    /// <summary>Parses "relu", "relu6", "leaky_relu", "leaky_relu:0.1", "sigmoid", "tanh", "linear".</summary>
    public static Activation Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().ToLowerInvariant().Split(':', 2);
        return parts[0] switch
        {
            "linear" or "none" or "identity" => Linear,
            "relu" => Relu,
            "relu6" => Relu6,
            "sigmoid" => Sigmoid,
            "tanh" => Tanh,
            "leaky_relu" or "leakyrelu" => parts.Length == 2 && float.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out float a)
                ? LeakyRelu(a)
                : parts.Length == 2 ? throw new FormatException($"Leaky ReLU slope '{parts[1]}' is not a number.") : LeakyRelu(),
            _ => throw new FormatException($"Unknown activation '{text}'; use linear, relu, relu6, leaky_relu[:alpha], sigmoid or tanh."),
        };
    }

    public override string ToString() => Kind == ActivationKind.LeakyRelu ? $"leaky_relu:{Alpha}" : Kind.ToString().ToLowerInvariant();
}
