using System.Globalization;
using System.Text.Json.Serialization;
using Shikaku.Datasets;
using Shikaku.NN;
using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>
/// train: a model of <see cref="NN.Models.Names"/> on a data set of <see cref="KnownDatasets.Names"/> or "folder:PATH" (<see cref="FolderDataset"/>).
/// <paramref name="Out"/> null takes the next free runs/DATASET folder; <paramref name="CommandLine"/> is recorded in run.json.
/// </summary>
public sealed record TrainRequest(string Dataset = "mnist", string Model = "lecture-cnn", int Epochs = 10, int BatchSize = 128,
    float LearningRate = 0.001f, string? Schedule = null, bool Augment = false, int Seed = 0, int Limit = 0,
    string? Out = null, bool Overwrite = false, string CommandLine = "");

/// <summary>How a training run ended: its history, folder, whether a model was saved, and which epoch it is (<paramref name="SavedEpoch"/>).</summary>
public sealed record TrainResult(History History, string Folder, bool Saved, bool Cancelled, int? SavedEpoch = null)
{
    /// <summary>
    /// The epoch whose model the folder holds: the checkpoint keeps the lowest validation loss (Keras' ModelCheckpoint
    /// default), which is not always the highest accuracy; null if none was saved.
    /// </summary>
    public EpochLogs? Best => SavedEpoch is { } e ? History.Epochs.FirstOrDefault(l => l.Epoch == e) : null;

    /// <summary>The epoch with the highest validation (else training) accuracy, or null if none finished.</summary>
    public EpochLogs? MostAccurate => History.Epochs.MaxBy(e => e.ValAccuracy ?? e.Accuracy);

    /// <summary>Why training stopped early with non-finite numbers, or null.</summary>
    public Divergence? Divergence => History.Divergence;
}

/// <summary>
/// One training run, from a checked request to a run folder (model, history, run.json, curves, confusion
/// matrix). Everything the request says is checked in <see cref="Open"/>, before any data loads; the run
/// folder is locked until <see cref="Dispose"/>, which also removes it if the run wrote nothing.
/// </summary>
/// <example><code>
/// using var run = TrainingRun.Open(new TrainRequest(Epochs: 1, Out: "runs/try"));
/// run.Load(IFetchProgress.Silent);
/// var result = run.Fit([], CancellationToken.None);
/// </code></example>
public sealed class TrainingRun : IDisposable
{
    private readonly TrainRequest _request;
    private readonly Adam _optimizer;
    private readonly StepDecay? _schedule;
    private readonly bool _created;
    private IDisposable? _lock;
    private ImageDataset? _train, _test;
    private Sequential? _model;
    private string? _datasetFiles;

    private TrainingRun(TrainRequest request, Adam optimizer, StepDecay? schedule, string folder, bool created)
    {
        (_request, _optimizer, _schedule, Folder, _created) = (request, optimizer, schedule, folder, created);
    }

    /// <summary>The run folder.</summary>
    public string Folder { get; }

    /// <summary>The model's layers and parameter counts (after <see cref="Load"/>).</summary>
    public string ModelSummary => Model.Summary();

    /// <summary>One line: what trains on what, with which settings, into which folder (after <see cref="Load"/>).</summary>
    public string Description =>
        $"Training {_request.Model} on {_train!.Name} ({_train.Count} images), validating on {_test!.Name} ({_test.Count}); " +
        $"{_request.Epochs} epochs, batch {_request.BatchSize}, Adam lr {_optimizer.LearningRate.ToString(CultureInfo.InvariantCulture)}, seed {_request.Seed}, {Kernels.Engine.Threads} threads; run folder {Folder}.";

    private Sequential Model => _model ?? throw new InvalidOperationException("Call Load before using the model.");

    /// <summary>Checks the request, chooses and locks the run folder.</summary>
    public static TrainingRun Open(TrainRequest request)
    {
        string dataset = TrainingData.Check(request.Dataset), modelName = request.Model.ToLowerInvariant();
        request = request with { Dataset = dataset, Model = modelName };
        if (NN.Models.IsComposed(modelName))
        {
            // The syntax and every size now; what depends on the data's own shape (a window that does not fit, the
            // weights after a flatten) is checked when the data has loaded.
            try
            {
                NN.Models.CheckComposition(modelName);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--model '{request.Model}': {e.Message}");
            }
        }
        else if (!NN.Models.Names.Contains(modelName))
            throw new UsageException($"--model '{modelName}' is unknown; use {string.Join(" or ", NN.Models.Names)}, or compose layers: {NN.Models.ComposeSyntax}.");
        var schedule = request.Schedule == null ? null : ParseSchedule(request.Schedule);
        var optimizer = new Adam(request.LearningRate);
        if (schedule != null)
        {
            try
            {
                schedule.RateAt(optimizer, request.Epochs); // the rate only moves one way: the last epoch checks the whole run
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException($"--lr-schedule {request.Schedule} with --lr {request.LearningRate.ToString(CultureInfo.InvariantCulture)}: {e.Message.Split(" (Parameter", 2)[0]}");
            }
        }
        if (request.Out != null && File.Exists(request.Out))
            throw new UsageException($"--out {request.Out} is a file; give a folder for the run.");

        // Ultralytics' habit: without --out each run gets the next free folder (runs/mnist, runs/mnist-2, ...).
        string folder = request.Out ?? RunFolder.NextFree(Path.Combine("runs", RunFolder.DefaultName(dataset)));
        var run = new TrainingRun(request, optimizer, schedule, folder, created: !Directory.Exists(folder));
        try
        {
            run._lock = RunFolder.Lock(folder);
            if (RunFolder.HoldsFiles(folder) && !request.Overwrite)
                throw new IOException($"{folder} already holds files; pass --overwrite to replace the run, or choose another --out.");
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>"step:E:F": multiply the learning rate by F every E epochs.</summary>
    public static StepDecay ParseSchedule(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 3 && parts[0] == "step"
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int every) && every > 0
            && float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float factor) && float.IsFinite(factor) && factor > 0 && factor <= 1)
            return new StepDecay(every, factor);
        throw new UsageException($"--lr-schedule '{text}' is not step:EPOCHS:FACTOR with EPOCHS >= 1 and 0 < FACTOR <= 1 (e.g. step:3:0.5).");
    }

    /// <summary>Loads the data set (fetched and verified on first use) and builds the model.</summary>
    public void Load(IFetchProgress fetch)
    {
        _datasetFiles = TrainingData.Fingerprint(_request.Dataset);
        var (train, test) = TrainingData.Load(_request.Dataset, _request.Seed, fetch);
        _train = _request.Limit > 0 ? train.Take(_request.Limit) : train;
        _test = test;
        try
        {
            _model = NN.Models.Create(_request.Model, _request.Seed, train.ExampleShape, train.ClassNames.Length);
        }
        catch (ArgumentException e) when (NN.Models.IsComposed(_request.Model))
        {
            throw new UsageException($"--model '{_request.Model}' on {train.Name}'s {train.ExampleShape} images: {e.Message}");
        }
        _model.Compile(_optimizer);
    }

    /// <summary>
    /// Trains (the best epoch is checkpointed into the folder), then writes history, run.json, learning curves
    /// and the confusion matrix of the best model. Cancelling stops after the current batch and keeps the best checkpoint.
    /// </summary>
    public TrainResult Fit(IReadOnlyList<ICallback> progress, CancellationToken cancellationToken)
    {
        var model = Model;
        var checkpoint = new ModelCheckpoint(Folder);
        var callbacks = new List<ICallback>(progress) { checkpoint };
        if (_schedule != null) callbacks.Add(_schedule);
        ILabelledData data = _request.Augment ? new Augmented(_train!, maxShift: 2, maxDegrees: 10, seed: _request.Seed) : _train!;
        var history = model.Fit(data, _request.Epochs, _request.BatchSize, _test, callbacks, cancellationToken);
        RunFolder.Write(Folder, history, _request.CommandLine, _request.Seed, model, _request.Dataset, _test!.ClassNames, _datasetFiles);
        RunPlots.LearningCurves(history, Folder, $"{_request.Model} on {_request.Dataset}");
        bool saved = checkpoint.BestEpoch != null; // not model.json's presence: --overwrite may leave the previous run's
        if (saved)
        {
            var bestModel = Sequential.Load(Folder);
            RunPlots.Confusion(bestModel.Evaluate(_test).Confusion, _test.ClassNames, Path.Combine(Folder, "confusion.png"));
        }
        return new TrainResult(history, Folder, saved, cancellationToken.IsCancellationRequested, saved ? checkpoint.BestEpoch : null);
    }

    /// <summary>Releases the folder's lock; a run that wrote nothing leaves no empty folder behind.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
        if (_created && Directory.Exists(Folder) && !Directory.EnumerateFileSystemEntries(Folder).Any()) Directory.Delete(Folder);
    }
}

/// <summary>evaluate: a run folder's model on its data set's test images; <paramref name="Plot"/> also draws the confusion matrix.</summary>
public sealed record EvaluateRequest(string Run, string? Plot = null, bool Overwrite = false);

/// <summary>Test accuracy, loss and confusion matrix (rows: true class, columns: predicted); the record is its own JSON contract (evaluate --json), without the plot's path.</summary>
public sealed record EvaluateResult(string Run, string Dataset, int Images, double Accuracy, double Loss, string[] Classes,
    [property: JsonIgnore] int[,] Confusion, [property: JsonIgnore] string? Plot)
{
    /// <summary>The confusion matrix as rows, as the contract writes it.</summary>
    [JsonPropertyName("confusion")]
    public int[][] ConfusionRows => Contract.Rows(Confusion);

    /// <summary>The JSON contract of evaluate --json.</summary>
    public object ToJson() => this;
}

/// <summary>predict: photos or drawings of digits (files or folders), prepared the way MNIST was made.</summary>
public sealed record PredictRequest(string Run, IReadOnlyList<string> Inputs, ImageLoadOptions Load);

/// <summary>One image's prediction (<paramref name="Probabilities"/> in the order of <paramref name="Classes"/>), or the reason it could not be read.</summary>
public sealed record Prediction(string Image, string? Class, float Probability, float[]? Probabilities, string[] Classes, string? Error);

/// <summary>Every image's prediction, in input order.</summary>
public sealed record PredictResult(string Run, string[] Classes, IReadOnlyList<Prediction> Predictions, BatchOutcome Outcome)
{
    /// <summary>The JSON contract of predict --json.</summary>
    public object ToJson() => new
    {
        run = Run,
        classes = Classes,
        predictions = Predictions.Select(p => p.Error != null ? (object)new { image = p.Image, error = p.Error } : new
        {
            image = p.Image,
            @class = p.Class,
            probability = p.Probability,
            probabilities = Classes.Select((n, i) => new { @class = n, probability = p.Probabilities![i] }),
        }).ToList(),
    };
}

/// <summary>evaluate and predict on a trained run folder.</summary>
public static class RunUseCases
{
    public static EvaluateResult Evaluate(EvaluateRequest request, IFetchProgress fetch)
    {
        if (request.Plot != null)
        {
            if (!request.Plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"--out {request.Plot}: the confusion matrix is drawn as PNG; give a name ending in .png.");
            OutputPolicy.OutputFile(request.Plot, request.Overwrite, "confusion.png");
        }
        var model = Sequential.Load(request.Run);
        string dataset = RunFolder.Dataset(request.Run);
        // A folder's seeded split holds other images once files were added, removed or renamed: training images
        // would count as validation and the accuracy would be too high, silently.
        if (RunFolder.DatasetFiles(request.Run) is { } trained && TrainingData.Fingerprint(dataset) != trained)
            throw new InvalidDataException($"{dataset}: the folder's images changed since {request.Run} was trained (added, removed or renamed), so its " +
                "validation split is no longer the one held out; evaluate on a copy of the folder as it was, or train again.");
        var (_, test) = TrainingData.Load(dataset, RunFolder.Seed(request.Run), fetch);
        var eval = model.Evaluate(test);
        if (request.Plot != null) RunPlots.Confusion(eval.Confusion, test.ClassNames, request.Plot);
        return new EvaluateResult(request.Run, test.Name, test.Count, eval.Accuracy, eval.Loss, test.ClassNames, eval.Confusion, request.Plot);
    }

    /// <summary>Predicts each image; <paramref name="onEach"/> sees each result (or error) as it is made, and the batch goes on past bad images.</summary>
    public static PredictResult Predict(PredictRequest request, Action<Prediction>? onEach = null, CancellationToken cancellationToken = default)
    {
        var files = OutputPolicy.Expand(request.Inputs, "predict");
        var model = Sequential.Load(request.Run);
        string[] names = RunFolder.ClassNames(request.Run);
        var results = new List<Prediction>();
        int failures = 0;
        foreach (var path in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] p;
            try
            {
                var image = ImageCodec.Load(path, request.Load);
                using var x = TrainingData.Prepare(image, model.InputShape);
                using var probs = model.Predict(x);
                p = probs.Span.ToArray();
            }
            catch (Exception e) when (UserErrors.IsUserError(e))
            {
                failures++;
                var bad = new Prediction(path, null, float.NaN, null, names, e.Message);
                results.Add(bad);
                onEach?.Invoke(bad);
                continue;
            }
            if (p.Length != names.Length)
                throw new InvalidDataException($"{request.Run}: the model gives {p.Length} classes but run.json names {names.Length}.");
            int best = 0;
            for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
            var prediction = new Prediction(path, names[best], p[best], p, names, null);
            results.Add(prediction);
            onEach?.Invoke(prediction);
        }
        return new PredictResult(request.Run, names, results, new BatchOutcome(failures, files.Count));
    }
}
