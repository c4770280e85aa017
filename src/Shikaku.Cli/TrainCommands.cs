using System.Globalization;
using Shikaku.NN;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>train, evaluate, predict: the lecture's Keras exercise from the command line (the work is in <see cref="TrainingRun"/> and <see cref="RunUseCases"/>).</summary>
internal static class TrainCommands
{
    public static int Train(CliArgs args, Cli cli)
    {
        // Everything the command line says is checked before any data loads or any folder is made.
        var request = new TrainRequest(
            Dataset: args.Get("--dataset") ?? "mnist",
            Model: args.Get("--model") ?? "lecture-cnn",
            Epochs: args.Int("--epochs", 10, 1, 10_000),
            BatchSize: args.Int("--batch-size", 128, 1, 65_536),
            Seed: args.Int("--seed", 0, 0),
            Limit: args.Int("--limit", 0, 0),
            LearningRate: (float)args.Double("--lr", 0.001, 0, 1),
            Schedule: args.Get("--lr-schedule"),
            Augment: args.Flag("--augment"),
            Out: args.Get("--out"),
            Overwrite: args.Flag("--overwrite"),
            CommandLine: args.CommandLine);
        args.RejectUnknown("train");
        using var run = TrainingRun.Open(request);
        run.Load(new Fetching(cli.Err));
        cli.Err.Write(new Text(run.ModelSummary));
        cli.Status(run.Description + " Ctrl+C stops after the current batch.");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        TrainResult result;
        try
        {
            result = cli.Err.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx => run.Fit([new ProgressCallback(ctx, request.Epochs, cli.Err)], cancel.Token));
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (result.Cancelled) cli.Status("Stopped by Ctrl+C; the best checkpoint so far is kept.");
        if (result.Divergence is { } diverged)
        {
            cli.Error($"training stopped: {diverged}. " + (result.Saved
                ? $"The last good checkpoint is kept in {result.Folder}."
                : "No epoch finished with finite weights, so no model was saved.") + " Try a smaller --lr.");
            return ExitCodes.Failed;
        }
        var best = result.Best;
        var top = result.MostAccurate;
        // The saved model is the lowest validation loss; say so when another epoch was more accurate.
        string also = top != null && best != null && top.Epoch != best.Epoch ? $" (the most accurate was epoch {top.Epoch}: {top.ValAccuracy:P2})" : "";
        if (best == null) cli.Out.MarkupLineInterpolated($"No epoch finished, so no model was saved; run in [bold]{result.Folder}[/]");
        else cli.Out.MarkupLineInterpolated($"Saved epoch {best.Epoch} (lowest validation loss): validation accuracy {best.ValAccuracy:P2}{also}; run in [bold]{result.Folder}[/]");
        return result.Cancelled ? ExitCodes.Interrupted : ExitCodes.Ok;
    }

    public static int Evaluate(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count != 1) throw new UsageException("evaluate needs one run folder, e.g. ./shikaku evaluate runs/mnist");
        bool json = args.Flag("--json");
        var request = new EvaluateRequest(args.Positionals[0], args.Get("--out"), args.Flag("--overwrite"));
        args.RejectUnknown("evaluate");
        var eval = RunUseCases.Evaluate(request, new Fetching(cli.Err));
        if (json)
        {
            cli.WriteJson(eval.ToJson());
            return ExitCodes.Ok;
        }
        cli.Out.MarkupLineInterpolated($"{eval.Dataset}: accuracy [bold]{eval.Accuracy:P2}[/], loss {eval.Loss:0.0000} ({eval.Images} images)");
        var table = new Table().Title("confusion matrix (rows: true, columns: predicted)").AddColumn("");
        for (int j = 0; j < eval.Classes.Length; j++) table.AddColumn(new TableColumn(Markup.Escape(eval.Classes[j])).RightAligned());
        for (int i = 0; i < eval.Classes.Length; i++)
            table.AddRow(new[] { Markup.Escape(eval.Classes[i]) }.Concat(Enumerable.Range(0, eval.Classes.Length).Select(j => eval.Confusion[i, j].ToString(CultureInfo.InvariantCulture))).ToArray());
        cli.Out.Write(table);
        if (eval.Plot != null) cli.Status($"confusion matrix -> {eval.Plot}");
        return ExitCodes.Ok;
    }

    public static int Predict(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count < 2) throw new UsageException("predict needs a run folder and images, e.g. ./shikaku predict runs/mnist my-digit.png");
        bool json = args.Flag("--json");
        var request = new PredictRequest(args.Positionals[0], args.Positionals.Skip(1).ToList(),
            new Vision.Imaging.ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) });
        args.RejectUnknown("predict");
        var result = RunUseCases.Predict(request, p =>
        {
            if (p.Error != null)
            {
                cli.Error(p.Error);
                return;
            }
            if (json) return;
            cli.Out.MarkupLineInterpolated($"{p.Image}: [bold]{p.Class}[/] ({p.Probability:P1})");
            var table = new Table().AddColumn("class").AddColumn(new TableColumn("probability").RightAligned());
            var names = p.Classes;
            for (int i = 0; i < p.Probabilities!.Length; i++) table.AddRow(Markup.Escape(names[i]), p.Probabilities[i].ToString("0.0000", CultureInfo.InvariantCulture));
            cli.Out.Write(table);
        });
        if (json) cli.WriteJson(result.ToJson());
        return cli.BatchResult(result.Outcome);
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
