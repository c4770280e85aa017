using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.Datasets;
using Shikaku.IO;
using Shikaku.NN;
using Shikaku.Tensors;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>train, evaluate, predict: the lecture's Keras exercise from the command line.</summary>
internal static class TrainCommands
{
    public static int Train(CliArgs args, Cli cli)
    {
        // Everything the command line says is checked before any data loads or any folder is made.
        string dataset = (args.Get("--dataset") ?? "mnist").ToLowerInvariant();
        string modelName = (args.Get("--model") ?? "lecture-cnn").ToLowerInvariant();
        int epochs = args.Int("--epochs", 10, 1, 10_000);
        int batchSize = args.Int("--batch-size", 128, 1, 65_536);
        int seed = args.Int("--seed", 0, 0);
        int limit = args.Int("--limit", 0, 0);
        float lr = (float)args.Double("--lr", 0.001, 0, 1);
        string? scheduleText = args.Get("--lr-schedule");
        var schedule = scheduleText == null ? null : ParseSchedule(scheduleText);
        bool augment = args.Flag("--augment");
        string? explicitOut = args.Get("--out");
        bool overwrite = args.Flag("--overwrite");
        args.RejectUnknown("train");
        if (!KnownDatasets.Names.Contains(dataset))
            throw new UsageException($"Unknown dataset '{dataset}'; use {string.Join(" or ", KnownDatasets.Names)}.");
        if (!NN.Models.Names.Contains(modelName))
            throw new UsageException($"--model '{modelName}' is unknown; use {string.Join(" or ", NN.Models.Names)}.");
        var optimizer = new Adam(lr);
        if (schedule != null)
        {
            try
            {
                schedule.RateAt(optimizer, epochs); // the rate only moves one way: the last epoch checks the whole run
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new UsageException($"--lr-schedule {scheduleText} with --lr {lr.ToString(CultureInfo.InvariantCulture)}: {e.Message.Split(" (Parameter", 2)[0]}");
            }
        }
        if (explicitOut != null && File.Exists(explicitOut))
            throw new UsageException($"--out {explicitOut} is a file; give a folder for the run.");

        // Ultralytics' habit: without --out each run gets the next free folder (runs/mnist, runs/mnist-2, ...).
        string outDir = explicitOut ?? RunFolder.NextFree(Path.Combine("runs", dataset));
        bool created = !Directory.Exists(outDir);
        var runLock = RunFolder.Lock(outDir);
        try
        {
            if (RunFolder.HoldsFiles(outDir) && !overwrite)
                throw new IOException($"{outDir} already holds files; pass --overwrite to replace the run, or choose another --out.");
            return Train(cli, args, dataset, modelName, epochs, batchSize, seed, limit, optimizer, schedule, augment, outDir);
        }
        finally
        {
            // A run that failed before writing anything leaves no empty folder behind.
            runLock.Dispose();
            if (created && Directory.Exists(outDir) && !Directory.EnumerateFileSystemEntries(outDir).Any()) Directory.Delete(outDir);
        }
    }

    private static int Train(Cli cli, CliArgs args, string dataset, string modelName, int epochs, int batchSize, int seed, int limit,
        Adam optimizer, StepDecay? schedule, bool augment, string outDir)
    {
        var (train, test) = Fetching.Run(cli.Err, dataset, log => KnownDatasets.Load(dataset, log));
        if (limit > 0) train = train.Take(limit);
        var model = NN.Models.Create(modelName, seed);
        model.Compile(optimizer);
        cli.Err.Write(new Text(model.Summary()));
        cli.Status($"Training {modelName} on {train.Name} ({train.Count} images), validating on {test.Name} ({test.Count}); " +
            $"{epochs} epochs, batch {batchSize}, Adam lr {optimizer.LearningRate.ToString(CultureInfo.InvariantCulture)}, seed {seed}, {Kernels.Engine.Threads} threads; run folder {outDir}. Ctrl+C stops after the current batch.");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var checkpoint = new ModelCheckpoint(outDir);
        var callbacks = new List<ICallback> { checkpoint };
        if (schedule != null) callbacks.Add(schedule);
        History history;
        try
        {
            history = cli.Err.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var progress = new ProgressCallback(ctx, epochs, cli.Err);
                    ILabelledData data = augment ? new Augmented(train, maxShift: 2, maxDegrees: 10, seed: seed) : train;
                    return model.Fit(data, epochs, batchSize, test, [progress, .. callbacks], cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (cancel.IsCancellationRequested) cli.Status("Stopped by Ctrl+C; the best checkpoint so far is kept.");
        RunFolder.Write(outDir, history, args.CommandLine, seed, model, dataset, test.ClassNames);
        RunPlots.LearningCurves(history, outDir, $"{modelName} on {dataset}");
        bool saved = File.Exists(Path.Combine(outDir, "model.json"));
        if (saved)
        {
            var bestModel = Sequential.Load(outDir);
            RunPlots.Confusion(bestModel.Evaluate(test).Confusion, test.ClassNames, Path.Combine(outDir, "confusion.png"));
        }
        if (history.Divergence is { } diverged)
        {
            cli.Error($"training stopped: {diverged}. " + (saved
                ? $"The last good checkpoint is kept in {outDir}."
                : "No epoch finished with finite weights, so no model was saved.") + " Try a smaller --lr.");
            return ExitCodes.Failed;
        }
        var best = history.Epochs.MaxBy(e => e.ValAccuracy ?? e.Accuracy);
        cli.Out.MarkupLineInterpolated($"Best validation accuracy {best?.ValAccuracy:P2} (epoch {best?.Epoch}); run saved in [bold]{outDir}[/]");
        return cancel.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    /// <summary>"step:E:F": multiply the learning rate by F every E epochs.</summary>
    private static StepDecay ParseSchedule(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 3 && parts[0] == "step"
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int every) && every > 0
            && float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float factor) && float.IsFinite(factor) && factor > 0 && factor <= 1)
            return new StepDecay(every, factor);
        throw new UsageException($"--lr-schedule '{text}' is not step:EPOCHS:FACTOR with EPOCHS >= 1 and 0 < FACTOR <= 1 (e.g. step:3:0.5).");
    }

    public static int Evaluate(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count != 1) throw new UsageException("evaluate needs one run folder, e.g. ./shikaku evaluate runs/mnist");
        string run = args.Positionals[0];
        bool json = args.Flag("--json");
        string? plot = args.Get("--out");
        bool overwrite = args.Flag("--overwrite");
        args.RejectUnknown("evaluate");
        if (plot != null)
        {
            if (!plot.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new UsageException($"--out {plot}: the confusion matrix is drawn as PNG; give a name ending in .png.");
            Inputs.OutputFile(plot, overwrite, "confusion.png");
        }
        var model = Sequential.Load(run);
        string dataset = RunFolder.Dataset(run);
        var (_, test) = Fetching.Run(cli.Err, dataset, log => KnownDatasets.Load(dataset, log));
        var eval = model.Evaluate(test);
        if (plot != null) RunPlots.Confusion(eval.Confusion, test.ClassNames, plot);
        if (json)
        {
            cli.WriteJson(new
            {
                run,
                dataset = test.Name,
                images = test.Count,
                accuracy = eval.Accuracy,
                loss = eval.Loss,
                classes = test.ClassNames,
                confusion = TraceJson.Rows(eval.Confusion),
            });
            return ExitCodes.Ok;
        }
        cli.Out.MarkupLineInterpolated($"{test.Name}: accuracy [bold]{eval.Accuracy:P2}[/], loss {eval.Loss:0.0000} ({test.Count} images)");
        var table = new Table().Title("confusion matrix (rows: true, columns: predicted)").AddColumn("");
        for (int j = 0; j < test.ClassNames.Length; j++) table.AddColumn(new TableColumn(Markup.Escape(test.ClassNames[j])).RightAligned());
        for (int i = 0; i < test.ClassNames.Length; i++)
            table.AddRow(new[] { Markup.Escape(test.ClassNames[i]) }.Concat(Enumerable.Range(0, test.ClassNames.Length).Select(j => eval.Confusion[i, j].ToString(CultureInfo.InvariantCulture))).ToArray());
        cli.Out.Write(table);
        if (plot != null) cli.Status($"confusion matrix -> {plot}");
        return ExitCodes.Ok;
    }

    public static int Predict(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count < 2) throw new UsageException("predict needs a run folder and images, e.g. ./shikaku predict runs/mnist my-digit.png");
        string run = args.Positionals[0];
        bool json = args.Flag("--json");
        var load = new Vision.Imaging.ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) };
        args.RejectUnknown("predict");
        var files = Inputs.Expand(args.Positionals.Skip(1), "predict");
        var model = Sequential.Load(run);
        string[] names = RunFolder.ClassNames(run);
        var results = new List<object>();
        int failures = 0;
        foreach (var path in files)
        {
            float[] p;
            try
            {
                var image = Vision.Imaging.ImageCodec.Load(path, load);
                using var x = Vision.Digits.MnistStyle.Prepare(image);
                using var probs = model.Predict(x);
                p = probs.Span.ToArray();
            }
            catch (Exception e) when (Program.IsUserError(e))
            {
                failures++;
                cli.Error(e.Message);
                results.Add(new { image = path, error = e.Message });
                continue;
            }
            if (p.Length != names.Length)
                throw new InvalidDataException($"{run}: the model gives {p.Length} classes but run.json names {names.Length}.");
            int best = 0;
            for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
            results.Add(new
            {
                image = path,
                @class = names[best],
                probability = p[best],
                probabilities = names.Select((n, i) => new { @class = n, probability = p[i] }),
            });
            if (json) continue;
            cli.Out.MarkupLineInterpolated($"{path}: [bold]{names[best]}[/] ({p[best]:P1})");
            var table = new Table().AddColumn("class").AddColumn(new TableColumn("probability").RightAligned());
            for (int i = 0; i < p.Length; i++) table.AddRow(Markup.Escape(names[i]), p[i].ToString("0.0000", CultureInfo.InvariantCulture));
            cli.Out.Write(table);
        }
        if (json) cli.WriteJson(new { run, classes = names, predictions = results });
        return Inputs.BatchResult(cli, failures, files.Count);
    }

    /// <summary>Keras-like progress: a bar per epoch with loss and accuracy, then a line per epoch.</summary>
    private sealed class ProgressCallback(ProgressContext ctx, int epochs, IAnsiConsole console) : ICallback
    {
        private ProgressTask? _task;

        public void OnBatchEnd(int epoch, int batch, int batches, double loss, double accuracy)
        {
            _task ??= ctx.AddTask($"epoch {epoch}/{epochs}", maxValue: batches);
            _task.Value = batch;
            _task.Description = $"epoch {epoch}/{epochs} step {batch}/{batches} loss {loss:0.0000} acc {accuracy:0.0000}";
        }

        public void OnEpochEnd(Sequential model, EpochLogs logs)
        {
            _task?.StopTask();
            _task = null;
            console.WriteLine($"Epoch {logs.Epoch}/{epochs}: {logs.Seconds:0.0}s - loss {logs.Loss:0.0000} - accuracy {logs.Accuracy:0.0000} - val_loss {logs.ValLoss:0.0000} - val_accuracy {logs.ValAccuracy:0.0000}");
        }
    }
}

/// <summary>What a run folder holds besides the model: history (CSV, JSON), the command and seed; its lock.</summary>
internal static class RunFolder
{
    private const string LockName = ".shikaku.lock";

    /// <summary><paramref name="folder"/> if it is free (absent or empty), else folder-2, folder-3, ...</summary>
    public static string NextFree(string folder)
    {
        for (int n = 1; ; n++)
        {
            string candidate = n == 1 ? folder : $"{folder}-{n}";
            if (!File.Exists(candidate) && !HoldsFiles(candidate) && !File.Exists(Path.Combine(candidate, LockName))) return candidate;
        }
    }

    /// <summary>Whether the folder holds anything besides a run lock.</summary>
    public static bool HoldsFiles(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any(e => Path.GetFileName(e) != LockName);

    /// <summary>
    /// Creates the folder and holds an exclusive lock on it for the run, so two runs never write into one
    /// folder (the operating system releases it if the process dies).
    /// </summary>
    public static IDisposable Lock(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, LockName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return stream;
        }
        catch (IOException e)
        {
            throw new IOException($"{folder} is in use by another shikaku train; wait for it to finish or choose another --out.", e);
        }
    }

    public static void Write(string folder, History history, string command, int seed, Sequential model, string dataset, string[] classes)
    {
        SafeFile.WriteAllText(Path.Combine(folder, "history.csv"), history.ToCsv(), overwrite: true);
        SafeFile.WriteAllText(Path.Combine(folder, "history.json"), history.ToJson(), overwrite: true);
        var run = new JsonObject
        {
            ["command"] = command,
            ["seed"] = seed,
            ["dataset"] = dataset,
            ["classes"] = new JsonArray(classes.Select(c => (JsonNode)c).ToArray()),
            ["parameters"] = model.ParameterCount,
            ["simd"] = Kernels.Engine.Simd.ToString(),
            ["threads"] = Kernels.Engine.Threads,
            ["peak_working_set_mb"] = Math.Round(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0),
            ["stopped"] = history.StoppedReason,
        };
        SafeFile.WriteAllText(Path.Combine(folder, "run.json"), run.ToJsonString(Indented), overwrite: true);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The run's run.json, or null for a folder without one (runs of older versions: MNIST).</summary>
    private static JsonObject? RunJson(string folder)
    {
        string path = Path.Combine(folder, "run.json");
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(SafeFile.ReadAllText(path, 1 << 20, "a run description (run.json)")) as JsonObject
                ?? throw new InvalidDataException($"{path} is not a JSON object; it is damaged. Delete it to treat the run as MNIST, or train again.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON ({e.Message}); it is damaged. Delete it to treat the run as MNIST, or train again.", e);
        }
    }

    public static string Dataset(string folder)
    {
        var run = RunJson(folder);
        if (run == null || !run.ContainsKey("dataset")) return "mnist";
        string path = Path.Combine(folder, "run.json");
        string? name = run["dataset"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (name == null || !KnownDatasets.Names.Contains(name))
            throw new InvalidDataException($"{path}: \"dataset\" is {run["dataset"]?.ToJsonString() ?? "null"}, not one of {string.Join(", ", KnownDatasets.Names)}; the file is damaged.");
        return name;
    }

    /// <summary>The class names the run was trained on (stored in run.json; for older runs, the data set's).</summary>
    public static string[] ClassNames(string folder)
    {
        var run = RunJson(folder);
        if (run?["classes"] is JsonArray classes)
        {
            var names = classes.Select(c => c is JsonValue v && v.TryGetValue(out string? s) ? s : null).ToArray();
            if (names.Length > 0 && names.All(n => n != null)) return names!;
            throw new InvalidDataException($"{Path.Combine(folder, "run.json")}: \"classes\" must be a list of names; the file is damaged.");
        }
        string dataset = Dataset(folder);
        return dataset == "mnist" ? Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
            : KnownDatasets.Load(dataset).Test.ClassNames;
    }
}
