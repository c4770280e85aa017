using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>A trainable tensor and the gradient the backward pass accumulates for it.</summary>
public sealed class Parameter
{
    /// <summary>A parameter with a fresh zero gradient.</summary>
    public Parameter(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        (Name, Value, Grad) = (name, value, Tensor.Zeros(value.Shape));
    }

    /// <summary>The same value and gradient under another name (a layer inside a block).</summary>
    public Parameter(string name, Parameter inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        (Name, Value, Grad, Inner) = (name, inner.Value, inner.Grad, inner.Inner ?? inner);
    }

    /// <summary>"kernel" or "bias", prefixed by the layer name in a model ("conv2d/kernel").</summary>
    public string Name { get; }
    /// <summary>The current value.</summary>
    public Tensor Value { get; }
    /// <summary>d loss / d value, summed over the batch; cleared before each step.</summary>
    public Tensor Grad { get; }
    /// <summary>The parameter this one renames, if any (optimizers keep their state per underlying parameter).</summary>
    internal Parameter? Inner { get; }
}
