using System.Text.Json.Nodes;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.NN.Layers;

/// <summary>
/// A skip connection: y = x + f(x), the Add of two branches (the identity and a stack of layers),
/// as in a ResNet block. The stack must give back the input's shape.
/// </summary>
/// <example><code>new Residual(new Conv2D(16, 3, padding: "same", activation: "relu"), new Conv2D(16, 3, padding: "same"))</code></example>
public sealed class Residual(params Layer[] branch) : Layer
{
    private readonly Layer[] _branch = branch is { Length: > 0 } ? branch : throw new ArgumentException("A residual block needs at least one layer in its branch.");

    /// <summary>The layers of the non-identity branch.</summary>
    public IReadOnlyList<Layer> Branch => _branch;

    /// <inheritdoc/>
    public override string TypeName => "Residual";

    /// <inheritdoc/>
    public override IReadOnlyList<Parameter> Parameters =>
        _branch.SelectMany(l => l.Parameters.Select(p => new Parameter($"{l.Name}/{p.Name}", p))).ToList();

    /// <inheritdoc/>
    public override IReadOnlyList<(string Name, Tensor Value)> States =>
        _branch.SelectMany(l => l.States.Select(s => ($"{l.Name}/{s.Name}", s.Value))).ToList();

    /// <inheritdoc/>
    protected override Shape BuildCore(Shape inputShape, Random rng)
    {
        var shape = inputShape;
        for (int i = 0; i < _branch.Length; i++)
        {
            if (string.IsNullOrEmpty(_branch[i].Name)) _branch[i].Name = $"{_branch[i].TypeName.ToLowerInvariant()}_{i}";
            _branch[i].Build(shape, rng);
            shape = _branch[i].OutputShape;
        }
        if (shape != inputShape)
            throw new ArgumentException($"The residual branch turns {inputShape} into {shape}; to add it to its input it must keep the shape (use 'same' padding and as many filters as input channels).");
        return inputShape;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tape? tape = null)
    {
        CheckInput(input);
        var current = input;
        try
        {
            foreach (var layer in _branch)
            {
                var next = layer.Forward(current, tape);
                // The branch's activations: kept by the tape while its backward may read them, else freed at once.
                if (current != input && tape == null) current.Dispose();
                current = next;
                if (tape != null) tape.Own(current);
            }
            var y = Tensor.Uninitialized(input.Shape);
            TensorPrimitives.Add(input.Span, current.Span, y.Span);
            return y;
        }
        finally
        {
            if (current != input && tape == null) current.Dispose();
        }
    }

    /// <inheritdoc/>
    public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad)
    {
        // d(x + f(x)) = dy + f'(x)ᵀ dy: the gradient flows through both branches and adds up.
        Tensor? upstream = null;
        for (int i = _branch.Length - 1; i >= 0; i--)
        {
            var next = _branch[i].Backward(upstream ?? outputGrad, tape, needInputGrad: true);
            upstream?.Dispose();
            upstream = next;
        }
        if (!needInputGrad)
        {
            upstream?.Dispose();
            return null;
        }
        var dx = upstream!;
        TensorPrimitives.Add(dx.Span, outputGrad.Span, dx.Span);
        return dx;
    }

    /// <inheritdoc/>
    public override JsonObject Config() => new() { ["layers"] = new JsonArray(_branch.Select(l => (JsonNode)LayerJson.Write(l)).ToArray()) };
}
