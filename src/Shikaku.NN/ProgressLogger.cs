using System.Globalization;

namespace Shikaku.NN;

/// <summary>
/// Keras' <c>verbose</c> output as a callback: one line per epoch (loss, accuracy, validation metrics,
/// seconds) and, with <paramref name="everyBatches"/> &gt; 0, a line every that many batches.
/// </summary>
/// <example><code>
/// model.Fit(train, epochs: 10, validation: test, callbacks: [new ProgressLogger(Console.Error)]);
/// </code></example>
public sealed class ProgressLogger(TextWriter writer, int everyBatches = 0) : ICallback
{
    private int _epochs;

    /// <summary>The number of epochs, to print "epoch 3/10" (0: unknown, prints "epoch 3").</summary>
    public int Epochs { get => _epochs; init => _epochs = value; }

    /// <inheritdoc/>
    public void OnBatchEnd(int epoch, int batch, int batches, double loss, double accuracy)
    {
        if (everyBatches > 0 && (batch % everyBatches == 0 || batch == batches))
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Epoch(epoch)} step {batch}/{batches} - loss {loss:0.0000} - accuracy {accuracy:0.0000}"));
    }

    /// <inheritdoc/>
    public void OnEpochEnd(Sequential model, EpochLogs logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        string validation = logs.ValLoss is { } vl ? string.Create(CultureInfo.InvariantCulture, $" - val_loss {vl:0.0000} - val_accuracy {logs.ValAccuracy:0.0000}") : "";
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Epoch(logs.Epoch)}: {logs.Seconds:0.0}s - loss {logs.Loss:0.0000} - accuracy {logs.Accuracy:0.0000}{validation}"));
        writer.Flush();
    }

    private string Epoch(int epoch) => _epochs > 0 ? $"Epoch {epoch}/{_epochs}" : $"Epoch {epoch}";
}
