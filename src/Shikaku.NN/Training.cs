using System.Text.Json;
using System.Text.Json.Nodes;

namespace Shikaku.NN;

/// <summary>Metrics at the end of an epoch (Keras's logs).</summary>
public sealed record EpochLogs(int Epoch, double Loss, double Accuracy, double? ValLoss, double? ValAccuracy, double Seconds, float LearningRate);

/// <summary>
/// Where training stopped because a number stopped being finite: the batch loss (<see cref="Batch"/> from 1),
/// or, at the end of an epoch (<see cref="Batch"/> 0), the epoch's loss, the validation loss or the weights.
/// </summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Batch">The batch of the epoch, from 1; 0 when found at the end of the epoch.</param>
/// <param name="Quantity">"loss", "val_loss" or "weights 'layer/parameter'".</param>
/// <param name="Value">The value found (NaN or an infinity).</param>
public sealed record Divergence(int Epoch, int Batch, string Quantity, double Value)
{
    /// <summary>"loss became NaN at epoch 3 batch 17", for messages.</summary>
    public override string ToString() =>
        $"{Quantity} became {History.Text(Value)} at epoch {Epoch}" + (Batch > 0 ? $" batch {Batch}" : " (after its last batch)");
}

/// <summary>
/// What <see cref="Sequential.Fit"/> returns: one entry per completed epoch, and why training ended early if it did.
/// Every number in <see cref="Epochs"/> is finite: an epoch whose loss turned NaN or infinite is not recorded
/// (see <see cref="Divergence"/>).
/// </summary>
/// <example><code>
/// var history = model.Fit(train, epochs: 10);
/// if (history.Diverged) Console.WriteLine($"Stopped: {history.StoppedReason}");
/// SafeFile.WriteAllText("history.json", history.ToJson(), overwrite: true);
/// </code></example>
public sealed class History
{
    /// <summary>The completed epochs in order.</summary>
    public List<EpochLogs> Epochs { get; } = [];

    /// <summary>
    /// Why training ended before the last epoch: cancellation, a callback (early stopping), or the loss or
    /// weights turning non-finite (then also <see cref="Divergence"/>). Null when every epoch ran.
    /// </summary>
    public string? StoppedReason { get; internal set; }

    /// <summary>Set when training stopped because the loss or the weights became NaN or infinite.</summary>
    public Divergence? Divergence { get; internal set; }

    /// <summary>True when training stopped because a loss or a weight became NaN or infinite.</summary>
    public bool Diverged => Divergence != null;

    /// <summary>
    /// CSV with a header: epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate. A missing
    /// validation value is empty; NaN and infinities are written nan, inf and -inf (as NumPy and pandas read them).
    /// </summary>
    public string ToCsv()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var lines = new List<string> { "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate" };
        lines.AddRange(Epochs.Select(e => string.Join(',', e.Epoch.ToString(inv), Format(e.Loss), Format(e.Accuracy),
            e.ValLoss is { } vl ? Format(vl) : "", e.ValAccuracy is { } va ? Format(va) : "",
            double.IsFinite(e.Seconds) ? e.Seconds.ToString("0.###", inv) : Format(e.Seconds), Format(e.LearningRate))));
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// Indented JSON: <c>{"epochs": [{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds",
    /// "learning_rate"}...], "stopped_reason", "divergence": {"epoch", "batch", "quantity", "value"}}</c>.
    /// JSON has no NaN or infinity, so such a value is written null (System.Text.Json would throw on it).
    /// </summary>
    public string ToJson()
    {
        var epochs = new JsonArray(Epochs.Select(e => (JsonNode)new JsonObject
        {
            ["epoch"] = e.Epoch,
            ["loss"] = Number(e.Loss),
            ["accuracy"] = Number(e.Accuracy),
            ["val_loss"] = Number(e.ValLoss),
            ["val_accuracy"] = Number(e.ValAccuracy),
            ["seconds"] = Number(e.Seconds),
            ["learning_rate"] = Number(e.LearningRate),
        }).ToArray());
        var doc = new JsonObject { ["epochs"] = epochs, ["stopped_reason"] = StoppedReason };
        if (Divergence is { } d)
            doc["divergence"] = new JsonObject { ["epoch"] = d.Epoch, ["batch"] = d.Batch, ["quantity"] = d.Quantity, ["value"] = Format(d.Value) };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonNode? Number(double? value) => value is { } v && double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>Round-trip text of a number; nan, inf, -inf for the others.</summary>
    internal static string Format(double value) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A number for messages: round-trip digits, NaN, Infinity.</summary>
    internal static string Text(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    internal static string Format(float value) => float.IsFinite(value) ? value.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : Format((double)value);
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

/// <summary>
/// Multiplies the learning rate by the factor every N epochs
/// (epochs 1..every keep the initial rate). The factor must be finite and above 0; a schedule whose
/// rate leaves the optimizer's range (underflows to 0 or grows past <see cref="Optimizer.MaxLearningRate"/>)
/// throws an <see cref="ArgumentOutOfRangeException"/> at the epoch where it would, naming the rate.
/// </summary>
/// <example><code>model.Fit(train, 30, callbacks: [new StepDecay(10, 0.5f)]); // 1e-3, then 5e-4 from epoch 11, ...</code></example>
public sealed class StepDecay : ICallback
{
    private readonly int _every;
    private readonly float _factor;
    private float? _initial;

    /// <summary>A step schedule; <paramref name="every"/> at least 1, <paramref name="factor"/> finite and above 0.</summary>
    public StepDecay(int every, float factor)
    {
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, $"StepDecay: the rate changes every {every} epochs; give at least 1.");
        if (!float.IsFinite(factor) || factor <= 0)
            throw new ArgumentOutOfRangeException(nameof(factor), factor,
                $"StepDecay: the factor must be a finite number above 0 (e.g. 0.5 halves the rate), got {History.Text(factor)}.");
        (_every, _factor) = (every, factor);
    }

    /// <inheritdoc/>
    public void OnEpochBegin(Sequential model, int epoch)
    {
        ArgumentNullException.ThrowIfNull(model);
        var optimizer = model.Optimizer ?? throw new InvalidOperationException("Compile the model before training.");
        _initial ??= optimizer.LearningRate;
        optimizer.LearningRate = RateAt(optimizer, epoch);
    }

    /// <summary>
    /// The rate this schedule gives <paramref name="optimizer"/> at <paramref name="epoch"/> (from its rate before
    /// training), or the <see cref="ArgumentOutOfRangeException"/> training would meet there. The rate only moves one
    /// way, so checking the last epoch before <see cref="Sequential.Fit"/> checks the whole run.
    /// </summary>
    /// <example><code>var decay = new StepDecay(3, 0.5f); decay.RateAt(model.Optimizer!, epochs); // throws now, not at epoch 200</code></example>
    public float RateAt(Optimizer optimizer, int epoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // In double: the float power underflows to 0 or overflows to infinity long before the rate does.
        double rate = (_initial ?? optimizer.LearningRate) * Math.Pow(_factor, (Math.Max(epoch, 1) - 1) / _every);
        if (!double.IsFinite(rate) || (float)rate <= 0 || rate > optimizer.MaxLearningRate)
            throw new ArgumentOutOfRangeException(nameof(epoch), rate,
                $"StepDecay(every {_every}, factor {History.Text(_factor)}) makes the learning rate {History.Text(rate)} at epoch {epoch}, " +
                $"outside (0, {optimizer.MaxLearningRate}]; use a factor closer to 1 or fewer epochs.");
        return (float)rate;
    }
}

/// <summary>
/// Saves the model after every epoch whose monitored loss (validation loss, else training loss) is the best so far.
/// Never saves a NaN or infinite loss, nor weights holding NaN or infinity: the last good checkpoint is kept and
/// the refusal is listed in <see cref="Refused"/>.
/// </summary>
/// <example><code>var checkpoint = new ModelCheckpoint("runs/mnist"); model.Fit(train, 10, validation: test, callbacks: [checkpoint]);</code></example>
public sealed class ModelCheckpoint(string folder) : ICallback
{
    private double _best = double.PositiveInfinity;
    private readonly List<string> _refused = [];

    /// <summary>Monitored loss of the saved model (+infinity until one is saved).</summary>
    public double Best => _best;

    /// <summary>The epoch of the saved model, null until one is saved.</summary>
    public int? BestEpoch { get; private set; }

    /// <summary>Why epochs were not saved although they might have been the best ("epoch 4: val_loss is nan").</summary>
    public IReadOnlyList<string> Refused => _refused;

    /// <inheritdoc/>
    public void OnEpochEnd(Sequential model, EpochLogs logs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(logs);
        string monitored = logs.ValLoss.HasValue ? "val_loss" : "loss";
        double value = logs.ValLoss ?? logs.Loss;
        // NaN compares false with everything: without this test it would count as an improvement.
        if (!double.IsFinite(value))
        {
            _refused.Add($"epoch {logs.Epoch}: {monitored} is {History.Text(value)}");
            return;
        }
        if (value >= _best) return;
        if (model.FirstNonFiniteWeight() is { } bad)
        {
            _refused.Add($"epoch {logs.Epoch}: the weights '{bad}' hold NaN or infinity");
            return;
        }
        _best = value;
        BestEpoch = logs.Epoch;
        model.Save(folder, overwrite: true);
    }
}
