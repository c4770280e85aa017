using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>
/// What building layers may allocate while a model file is read: a model.json that lies (a Dense layer of
/// a billion units) must fail before its weights are allocated, not run out of memory. The weights file
/// bounds the weights (a true model.json needs exactly the values it holds); a per-example bound on every
/// layer's output keeps prediction batches allocatable. Set for the current thread by <see cref="Enter"/>.
/// </summary>
internal sealed class BuildLimits : IDisposable
{
    [ThreadStatic] private static BuildLimits? _current;

    private readonly BuildLimits? _previous;
    private readonly string _source;
    private readonly long _maxOutput;
    private long _remaining;

    private BuildLimits(long weights, long maxOutput, string source)
    {
        (_remaining, _maxOutput, _source, _previous) = (weights, maxOutput, source, _current);
        _current = this;
    }

    /// <summary>The limits in force on this thread, if any.</summary>
    public static BuildLimits? Current => _current;

    /// <summary>
    /// Limits layers built on this thread until disposed to <paramref name="weights"/> values in all and
    /// <paramref name="maxOutput"/> values per example in any layer's output; errors name <paramref name="source"/>.
    /// </summary>
    public static BuildLimits Enter(long weights, long maxOutput, string source) => new(weights, maxOutput, source);

    public void Dispose() => _current = _previous;

    public void BeforeBuild(Layer layer, Shape input)
    {
        long needed = layer.WeightCount(input);
        if (needed > _remaining)
            throw new InvalidDataException(
                $"{_source}: layer '{layer.Name}' ({layer.TypeName}) on input {input} would need {needed:N0} weights, " +
                $"but the weights file has only {_remaining:N0} left for it; the architecture does not belong to these weights (or is damaged).");
        _remaining -= needed;
    }

    public void AfterBuild(Layer layer)
    {
        if (layer.OutputShape.Length > _maxOutput)
            throw new InvalidDataException(
                $"{_source}: layer '{layer.Name}' ({layer.TypeName}) outputs {layer.OutputShape} = {layer.OutputShape.Length:N0} values per example, " +
                $"more than a loaded model may ({_maxOutput:N0}); the file is damaged or not a Shikaku model.");
    }
}
