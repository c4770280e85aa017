using Shikaku.Tensors;

namespace Shikaku.Datasets;

/// <summary>Labelled examples a model trains on: any dataset that can produce a batch by indices.</summary>
public interface ILabelledData
{
    /// <summary>Number of examples.</summary>
    int Count { get; }
    /// <summary>Shape of one example (without the batch dimension), e.g. (28, 28, 1).</summary>
    Shape ExampleShape { get; }
    /// <summary>The examples at <paramref name="indices"/> as one tensor, and their class labels.</summary>
    (Tensor Inputs, int[] Labels) Batch(ReadOnlySpan<int> indices);
}

/// <summary>Examples already in a tensor [N, ...] with integer labels.</summary>
public sealed class TensorData : ILabelledData
{
    private readonly Tensor _x;
    private readonly int[] _labels;

    /// <summary>Wraps (does not copy) the tensor.</summary>
    public TensorData(Tensor x, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        if (x.Shape[0] != labels.Length) throw new ArgumentException($"{x.Shape[0]} examples but {labels.Length} labels.");
        (_x, _labels) = (x, labels);
        ExampleShape = new Shape(x.Shape.ToArray()[1..]);
    }

    /// <inheritdoc/>
    public int Count => _labels.Length;
    /// <inheritdoc/>
    public Shape ExampleShape { get; }

    /// <inheritdoc/>
    public (Tensor Inputs, int[] Labels) Batch(ReadOnlySpan<int> indices)
    {
        int size = ExampleShape.Length;
        var dims = ExampleShape.ToArray().Prepend(indices.Length).ToArray();
        var t = Tensor.Uninitialized(new Shape(dims));
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            _x.Span.Slice(indices[i] * size, size).CopyTo(t.Span.Slice(i * size, size));
            labels[i] = _labels[indices[i]];
        }
        return (t, labels);
    }
}
