using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>
/// What one training step's forward pass keeps for its backward pass, layer by layer. The step that
/// runs forward and backward owns the tape and disposes it; layers hold only weights, so a model
/// predicting (no tape) can be shared by any number of threads or requests at once.
/// </summary>
/// <example><code>
/// using var tape = new Tape();
/// using var y = layer.Forward(x, tape);      // training: records what backward needs
/// using var dx = layer.Backward(dy, tape, needInputGrad: true);
/// </code></example>
public sealed class Tape : IDisposable
{
    private readonly Dictionary<Layer, object> _records = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> _owned = [];

    /// <summary>Keeps <paramref name="record"/> for <paramref name="layer"/>'s backward pass (replacing an earlier one).</summary>
    public void Record(Layer layer, object record)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _records[layer] = record;
    }

    /// <summary>The record <paramref name="layer"/>'s forward pass kept on this tape.</summary>
    public T Recall<T>(Layer layer) where T : class =>
        _records.TryGetValue(layer, out var r) && r is T typed ? typed
            : throw new InvalidOperationException($"Layer {layer.Name} ({layer.TypeName}) has no forward pass recorded on this tape; run Forward(x, tape) with the same tape before Backward.");

    /// <summary>The record of <paramref name="layer"/>, or null when its forward pass kept none of this type.</summary>
    public T? Find<T>(Layer layer) where T : class => _records.TryGetValue(layer, out var r) ? r as T : null;

    /// <summary>Hands a tensor that only the backward pass needs to the tape, which disposes it with itself.</summary>
    public Tensor Own(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _owned.Add(tensor);
        return tensor;
    }

    /// <summary>
    /// A scratch array of at least <paramref name="length"/> elements from the shared pool, returned to it when
    /// the tape is disposed (per-step masks and indices, without a new large array every step).
    /// </summary>
    public T[] Rent<T>(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var array = System.Buffers.ArrayPool<T>.Shared.Rent(length);
        _returns.Add(() => System.Buffers.ArrayPool<T>.Shared.Return(array));
        return array;
    }

    private readonly List<Action> _returns = [];
    private bool _disposed;

    /// <summary>Frees what the tape owns and forgets every record.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
        foreach (var giveBack in _returns) giveBack();
        _returns.Clear();
        _records.Clear();
    }
}
