using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.Datasets;
using Shikaku.NN;
using Shikaku.Tensors;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>train, evaluate: the lecture's Keras exercise from the command line.</summary>
internal static class TrainCommands
{
    public static int Train(CliArgs args, IAnsiConsole console)
    {
        string dataset = args.Get("--dataset") ?? "mnist";
        string modelName = args.Get("--model") ?? "lecture-cnn";
        int epochs = args.Int("--epochs", 10, 1, 10_000);
        int batchSize = args.Int("--batch-size", 128, 1, 65_536);
        int seed = args.Int("--seed", 0, 0);
        int limit = args.Int("--limit", 0, 0);
        float lr = (float)double.Parse(args.Get("--lr") ?? "0.001", CultureInfo.InvariantCulture);
        string? schedule = args.Get("--lr-schedule");
        bool augment = args.Flag("--augment");
        string outDir = args.Get("--out") ?? Path.Combine("runs", dataset);
        bool overwrite = args.Flag("--overwrite");
        args.RejectUnknown("train");
        if (!NN.Models.Names.Contains(modelName.ToLowerInvariant()))
            throw new UsageException($"--model '{modelName}' is unknown; use {string.Join(" or ", NN.Models.Names)}.");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !overwrite)
            throw new IOException($"{outDir} already holds files; pass --overwrite to replace the run, or choose another --out.");

        var (train, test) = Fetching.Run(console, dataset, log => KnownDatasets.Load(dataset, log));
        if (limit > 0) train = train.Take(limit);
        var model = NN.Models.Create(modelName, seed);
        model.Compile(new Adam(lr));
        console.Write(new Text(model.Summary()));
        console.WriteLine($"Training {modelName} on {train.Name} ({train.Count} images), validating on {test.Name} ({test.Count}); " +
            $"{epochs} epochs, batch {batchSize}, Adam lr {lr}, seed {seed}, {Kernels.Engine.Threads} threads. Ctrl+C stops after the current batch.");

        Directory.CreateDirectory(outDir);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var checkpoint = new ModelCheckpoint(outDir);
        var callbacks = new List<ICallback> { checkpoint };
        if (schedule != null) callbacks.Add(ParseSchedule(schedule));
        History history;
        try
        {
            history = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var progress = new ProgressCallback(ctx, epochs, console);
                    ILabelledData data = augment ? new Augmented(train, maxShift: 2, maxDegrees: 10, seed: seed) : train;
                    return model.Fit(data, epochs, batchSize, test, [progress, .. callbacks], cancel.Token);
                });
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (cancel.IsCancellationRequested) console.WriteLine("Stopped by Ctrl+C; the best checkpoint so far is kept.");
        RunFolder.Write(outDir, history, args.CommandLine, seed, model, dataset);
        RunPlots.LearningCurves(history, outDir, $"{modelName} on {dataset}");
        if (File.Exists(Path.Combine(outDir, "model.json")))
        {
            var bestModel = Sequential.Load(outDir);
            RunPlots.Confusion(bestModel.Evaluate(test).Confusion, test.ClassNames, Path.Combine(outDir, "confusion.png"));
        }
        var best = history.Epochs.MaxBy(e => e.ValAccuracy ?? e.Accuracy);
        console.MarkupLineInterpolated($"Best validation accuracy {best?.ValAccuracy:P2} (epoch {best?.Epoch}); run saved in [bold]{outDir}[/]");
        return cancel.IsCancellationRequested ? 130 : 0;
    }

    /// <summary>"step:E:F": multiply the learning rate by F every E epochs.</summary>
    private static StepDecay ParseSchedule(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 3 && parts[0] == "step"
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int every) && every > 0
            && float.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out float factor) && factor > 0)
            return new StepDecay(every, factor);
        throw new UsageException($"--lr-schedule '{text}' is not step:EPOCHS:FACTOR (e.g. step:3:0.5).");
    }

    public static int Evaluate(CliArgs args, IAnsiConsole console)
    {
        if (args.Positionals.Count != 1) throw new UsageException("evaluate needs one run folder, e.g. ./shikaku evaluate runs/mnist");
        string run = args.Positionals[0];
        args.RejectUnknown("evaluate");
        var model = Sequential.Load(run);
        string dataset = RunFolder.Dataset(run);
        var (_, test) = Fetching.Run(console, dataset, log => KnownDatasets.Load(dataset, log));
        var eval = model.Evaluate(test);
        console.MarkupLineInterpolated($"{test.Name}: accuracy [bold]{eval.Accuracy:P2}[/], loss {eval.Loss:0.0000} ({test.Count} images)");
        var table = new Table().Title("confusion matrix (rows: true, columns: predicted)").AddColumn("");
        for (int j = 0; j < test.ClassNames.Length; j++) table.AddColumn(new TableColumn(Markup.Escape(test.ClassNames[j])).RightAligned());
        for (int i = 0; i < test.ClassNames.Length; i++)
            table.AddRow(new[] { Markup.Escape(test.ClassNames[i]) }.Concat(Enumerable.Range(0, test.ClassNames.Length).Select(j => eval.Confusion[i, j].ToString(CultureInfo.InvariantCulture))).ToArray());
        console.Write(table);
        RunPlots.Confusion(eval.Confusion, test.ClassNames, Path.Combine(run, "confusion.png"));
        return 0;
    }

    public static int Predict(CliArgs args, IAnsiConsole console)
    {
        if (args.Positionals.Count != 2) throw new UsageException("predict needs a run folder and an image, e.g. ./shikaku predict runs/mnist my-digit.png");
        string run = args.Positionals[0], path = args.Positionals[1];
        args.RejectUnknown("predict");
        var model = Sequential.Load(run);
        var image = Vision.Imaging.ImageCodec.Load(path);
        using var x = Vision.Digits.MnistStyle.Prepare(image);
        using var probs = model.Predict(x);
        var p = probs.Span;
        string[] names = RunFolder.Dataset(run) == "mnist" ? Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
            : KnownDatasets.Load(RunFolder.Dataset(run)).Test.ClassNames;
        int best = 0;
        for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        console.MarkupLineInterpolated($"{path}: [bold]{names[best]}[/] ({p[best]:P1})");
        var table = new Table().AddColumn("class").AddColumn(new TableColumn("probability").RightAligned());
        for (int i = 0; i < p.Length; i++) table.AddRow(Markup.Escape(names[i]), p[i].ToString("0.0000", CultureInfo.InvariantCulture));
        console.Write(table);
        return 0;
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

/// <summary>What a run folder holds besides the model: history (CSV, JSON), the command and seed.</summary>
internal static class RunFolder
{
    public static void Write(string folder, History history, string command, int seed, Sequential model, string dataset)
    {
        File.WriteAllText(Path.Combine(folder, "history.csv"), history.ToCsv());
        var epochs = new JsonArray(history.Epochs.Select(e => (JsonNode)new JsonObject
        {
            ["epoch"] = e.Epoch, ["loss"] = e.Loss, ["accuracy"] = e.Accuracy, ["val_loss"] = e.ValLoss,
            ["val_accuracy"] = e.ValAccuracy, ["seconds"] = e.Seconds, ["learning_rate"] = e.LearningRate,
        }).ToArray());
        File.WriteAllText(Path.Combine(folder, "history.json"), new JsonObject { ["epochs"] = epochs }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var run = new JsonObject
        {
            ["command"] = command,
            ["seed"] = seed,
            ["dataset"] = dataset,
            ["parameters"] = model.ParameterCount,
            ["simd"] = Kernels.Engine.Simd.ToString(),
            ["threads"] = Kernels.Engine.Threads,
            ["peak_working_set_mb"] = Math.Round(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0),
        };
        File.WriteAllText(Path.Combine(folder, "run.json"), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public static string Dataset(string folder)
    {
        string path = Path.Combine(folder, "run.json");
        if (!File.Exists(path)) return "mnist";
        return JsonNode.Parse(File.ReadAllText(path))?["dataset"]?.GetValue<string>() ?? "mnist";
    }
}
