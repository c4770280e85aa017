using System.Text.Json;
using Shikaku.NN;

namespace Shikaku.Studio;

/// <summary>What the training page sends to start a run (the same settings as `shikaku train`).</summary>
public sealed record TrainStart(string Dataset = "mnist", string Model = "lecture-cnn", int Epochs = 3, int BatchSize = 128,
    float LearningRate = 0.001f, int Limit = 0, int Seed = 0, bool Augment = false);

/// <summary>One event of a run's stream: its kind (batch, epoch, end, error) and its JSON.</summary>
public sealed record TrainEvent(int Id, string Kind, string Json);

/// <summary>
/// One training run started from the studio: a `shikaku train` run folder below the runs root, trained on a thread
/// of its own; every batch and epoch becomes an event that any number of streams replay and follow.
/// </summary>
public sealed class TrainingSession
{
    /// <summary>The contract's options on one line (an event's data is one line of the stream).</summary>
    private static readonly JsonSerializerOptions OneLine = new(App.Contract.Options) { WriteIndented = false };

    private readonly List<TrainEvent> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TrainingSession(string id, string folder, TrainStart settings) => (Id, Folder, Settings) = (id, folder, settings);

    /// <summary>The run's id: its folder below the runs root, as the explainer lists it.</summary>
    public string Id { get; }

    /// <summary>The run folder.</summary>
    public string Folder { get; }

    public TrainStart Settings { get; }

    /// <summary>When the run was started.</summary>
    public DateTime Started { get; } = DateTime.UtcNow;

    /// <summary>True once the run has ended (finished, stopped or failed).</summary>
    public bool Finished { get; private set; }

    /// <summary>Asks the run to stop after the current batch; the best epoch so far stays saved.</summary>
    public void Stop() => _stop.Cancel();

    internal CancellationToken StopToken => _stop.Token;

    internal void Add(string kind, object payload)
    {
        string json = JsonSerializer.Serialize(payload, OneLine);
        TaskCompletionSource changed;
        lock (_events)
        {
            _events.Add(new TrainEvent(_events.Count, kind, json));
            if (kind is "end" or "error") Finished = true;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>The events from <paramref name="from"/> on, waiting for the next one when there are none yet.</summary>
    public async Task<IReadOnlyList<TrainEvent>> NextAsync(int from, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_events)
            {
                from = Math.Max(0, from);
                if (from < _events.Count) return _events.GetRange(from, _events.Count - from);
                if (Finished) return [];
                wait = _changed.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends each batch's running loss and accuracy and each epoch's metrics to the session.</summary>
    internal sealed class Progress(TrainingSession session) : ICallback
    {
        /// <summary>Batch events per epoch at most: enough for the curves, and a run of a thousand epochs of batch 1 keeps 100,000 events, not 60 million.</summary>
        public const int BatchEventsPerEpoch = 100;

        public void OnBatchEnd(int epoch, int batch, int batches, double loss, double accuracy)
        {
            int every = Math.Max(1, (batches + BatchEventsPerEpoch - 1) / BatchEventsPerEpoch);
            if (batch % every == 0 || batch == batches) session.Add("batch", new { epoch, batch, batches, loss, accuracy });
        }

        public void OnEpochEnd(Sequential model, EpochLogs logs) => session.Add("epoch", logs);
    }
}

/// <summary>The studio's training runs: one at a time (the machine's cores go to it), each kept for its stream.</summary>
public sealed class TrainingSessions(App.RunCatalog runs, StudioOptions options)
{
    private readonly string datasetsRoot = options.DatasetsRoot;

    /// <summary>The datasets the training page offers: the known ones, then "folder:NAME" for each folder of class folders under the datasets root.</summary>
    public IReadOnlyList<string> Datasets()
    {
        var names = new List<string>(App.TrainingData.Names);
        if (Directory.Exists(datasetsRoot))
            names.AddRange(Directory.EnumerateDirectories(datasetsRoot).Order(StringComparer.Ordinal)
                .Where(d => Directory.EnumerateDirectories(d).Any()).Select(d => App.FolderDataset.Prefix + Path.GetFileName(d)));
        return names;
    }

    /// <summary>A dataset the page may name, as the trainer takes it; a folder is looked up by name under the root, never taken as a path.</summary>
    private string Resolve(string dataset)
    {
        if (!App.FolderDataset.IsFolder(dataset)) return dataset.ToLowerInvariant();
        if (!Datasets().Contains(dataset, StringComparer.Ordinal))
            throw new App.UsageException($"There is no dataset '{dataset}' here; the studio offers {string.Join(", ", Datasets())} (folders of class folders in its datasets folder).");
        return App.FolderDataset.Prefix + Path.GetFullPath(Path.Combine(datasetsRoot, App.FolderDataset.PathOf(dataset)));
    }

    /// <summary>The most runs whose events are kept.</summary>
    public const int MaxKept = 16;

    private readonly Dictionary<string, TrainingSession> _sessions = new(StringComparer.Ordinal);
    private TrainingSession? _current;

    /// <summary>Checks the settings, takes the next free run folder (runs/DATASET, runs/DATASET-2, ...) and starts training on a thread of its own.</summary>
    public TrainingSession Start(TrainStart settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Dataset is null || settings.Model is null)
            throw new App.UsageException($"{(settings.Dataset is null ? "dataset" : "model")} is missing; GET /api/models lists the datasets and architectures.");
        if (settings.Epochs is < 1 or > 1000) throw new App.UsageException($"epochs {settings.Epochs} is out of range (1..1000).");
        if (settings.BatchSize is < 1 or > 4096) throw new App.UsageException($"batchSize {settings.BatchSize} is out of range (1..4096).");
        if (settings.Limit < 0) throw new App.UsageException($"limit {settings.Limit} is out of range (0 = every training image).");
        if (!float.IsFinite(settings.LearningRate) || settings.LearningRate <= 0 || settings.LearningRate > 10)
            throw new App.UsageException($"learningRate {settings.LearningRate} is out of range (0 < lr <= 10).");
        lock (_sessions)
        {
            if (_current is { Finished: false })
                throw new TrainingBusyException($"Run {_current.Id} is still training; stop it (POST /api/train/{_current.Id}/stop) or wait for it to end.");
            string dataset = Resolve(settings.Dataset);
            string folder = App.RunFolder.NextFree(Path.Combine(runs.Root, App.RunFolder.DefaultName(dataset)));
            var request = new App.TrainRequest(dataset, settings.Model, settings.Epochs, settings.BatchSize, settings.LearningRate,
                Augment: settings.Augment, Seed: settings.Seed, Limit: settings.Limit, Out: folder,
                CommandLine: $"studio: train --dataset {settings.Dataset} --model {settings.Model} --epochs {settings.Epochs} --batch-size {settings.BatchSize} --lr {settings.LearningRate}" +
                    (settings.Limit > 0 ? $" --limit {settings.Limit}" : ""));
            var run = App.TrainingRun.Open(request); // checks the dataset and model names before anything starts
            string id = Path.GetRelativePath(runs.Root, folder).Replace(Path.DirectorySeparatorChar, '/');
            var session = new TrainingSession(id, folder, settings);
            // Finished runs' streams are kept for the page to replay, the last few only.
            foreach (var old in _sessions.Values.Where(x => x.Finished).OrderBy(x => x.Started).SkipLast(MaxKept - 1).ToList()) _sessions.Remove(old.Id);
            _sessions[id] = session;
            _current = session;
            var thread = new Thread(() => Train(run, session, options)) { IsBackground = true, Name = "studio training " + id };
            thread.Start();
            return session;
        }
    }

    /// <summary>A session by id; unknown ids are a 404.</summary>
    public TrainingSession Get(string id)
    {
        lock (_sessions)
            return _sessions.TryGetValue(id, out var s) ? s : throw new App.UnknownIdException($"There is no training run '{id}' in this studio.");
    }

    /// <summary>The run training now, if any.</summary>
    public TrainingSession? Current
    {
        get { lock (_sessions) return _current; }
    }

    private static void Train(App.TrainingRun run, TrainingSession session, StudioOptions options)
    {
        try
        {
            using (run)
            {
                run.Load(App.IFetchProgress.Silent);
                session.Add("start", new { id = session.Id, description = Problems.Redact(run.Description, options) });
                var result = run.Fit([new TrainingSession.Progress(session)], session.StopToken);
                var best = result.Best;
                session.Add("end", new
                {
                    id = session.Id,
                    saved = result.Saved,
                    cancelled = result.Cancelled,
                    epochs = result.History.Epochs.Count,
                    best,
                    divergence = result.Divergence?.ToString(),
                });
            }
        }
        catch (Exception e) when (App.UserErrors.IsUserError(e) || e is OperationCanceledException)
        {
            session.Add("error", new { id = session.Id, error = Problems.Redact(e.Message, options) });
        }
        catch (Exception e)
        {
            // Never let a training thread take the server down; the stream says what happened.
            session.Add("error", new { id = session.Id, error = $"internal error: {e.GetType().Name}: {Problems.Redact(e.Message, options)}" });
        }
    }
}

/// <summary>A run is already training (a web front end answers 409).</summary>
public sealed class TrainingBusyException(string message) : ShikakuException(message);
