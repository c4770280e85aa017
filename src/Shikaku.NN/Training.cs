namespace Shikaku.NN;

/// <summary>Metrics at the end of an epoch (Keras's logs).</summary>
public sealed record EpochLogs(int Epoch, double Loss, double Accuracy, double? ValLoss, double? ValAccuracy, double Seconds, float LearningRate);

/// <summary>What <see cref="Sequential.Fit"/> returns: one entry per epoch.</summary>
public sealed class History
{
    /// <summary>The epochs in order.</summary>
    public List<EpochLogs> Epochs { get; } = [];

    /// <summary>CSV with a header: epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate.</summary>
    public string ToCsv()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var lines = new List<string> { "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate" };
        lines.AddRange(Epochs.Select(e => string.Join(',', e.Epoch.ToString(inv), e.Loss.ToString("R", inv), e.Accuracy.ToString("R", inv),
            e.ValLoss?.ToString("R", inv) ?? "", e.ValAccuracy?.ToString("R", inv) ?? "", e.Seconds.ToString("0.###", inv), e.LearningRate.ToString("R", inv))));
        return string.Join('\n', lines) + "\n";
    }
}

/// <summary>Hooks into training, as Keras callbacks.</summary>
public interface ICallback
{
    /// <summary>After each batch: running mean loss and accuracy of the epoch so far.</summary>
    void OnBatchEnd(int epoch, int batch, int batches, double loss, double accuracy) { }

    /// <summary>After each epoch, with validation metrics if there is validation data.</summary>
    void OnEpochEnd(Sequential model, EpochLogs logs) { }

    /// <summary>Before each epoch (a learning-rate schedule sets the rate here).</summary>
    void OnEpochBegin(Sequential model, int epoch) { }

    /// <summary>True to stop after the current epoch.</summary>
    bool StopTraining => false;
}

/// <summary>Stops when the monitored validation loss has not improved for <paramref name="patience"/> epochs.</summary>
public sealed class EarlyStopping(int patience = 2, double minDelta = 0) : ICallback
{
    private double _best = double.PositiveInfinity;
    private int _wait;

    /// <inheritdoc/>
    public bool StopTraining { get; private set; }

    /// <inheritdoc/>
    public void OnEpochEnd(Sequential model, EpochLogs logs)
    {
        double value = logs.ValLoss ?? logs.Loss;
        if (value < _best - minDelta)
        {
            _best = value;
            _wait = 0;
        }
        else if (++_wait >= patience)
        {
            StopTraining = true;
        }
    }
}

/// <summary>Multiplies the learning rate by <paramref name="factor"/> every <paramref name="every"/> epochs.</summary>
public sealed class StepDecay(int every, float factor) : ICallback
{
    private float? _initial;

    /// <inheritdoc/>
    public void OnEpochBegin(Sequential model, int epoch)
    {
        ArgumentNullException.ThrowIfNull(model);
        var optimizer = model.Optimizer ?? throw new InvalidOperationException("Compile the model before training.");
        _initial ??= optimizer.LearningRate;
        optimizer.LearningRate = _initial.Value * MathF.Pow(factor, (epoch - 1) / every);
    }
}

/// <summary>Saves the model after every epoch whose validation loss is the best so far.</summary>
public sealed class ModelCheckpoint(string folder) : ICallback
{
    private double _best = double.PositiveInfinity;

    /// <summary>Validation loss of the saved model.</summary>
    public double Best => _best;

    /// <inheritdoc/>
    public void OnEpochEnd(Sequential model, EpochLogs logs)
    {
        ArgumentNullException.ThrowIfNull(model);
        double value = logs.ValLoss ?? logs.Loss;
        if (value >= _best) return;
        _best = value;
        model.Save(folder, overwrite: true);
    }
}
