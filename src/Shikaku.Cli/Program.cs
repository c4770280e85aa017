using Shikaku.Assets;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>The `shikaku` command-line tool.</summary>
public static class Program
{
    /// <summary>A command: its name, one-line summary, an example and the code that runs it.</summary>
    internal sealed record Command(string Name, string Summary, string Example, string Usage, Func<CliArgs, IAnsiConsole, int> Run, string[] Options, string[]? Flags = null);

    internal static readonly Command[] Commands =
    [
        new("demo", "Run the lecture's examples and write an HTML page of filters and pooling on a real photo",
            "./shikaku demo", "demo [--out DIR] [--photo IMAGE]", DemoCommand.Run, ["--out", "--photo"]),
        new("conv1d", "1-D convolution of a sequence with a kernel (the lecture's first example)",
            "./shikaku conv1d --data \"0 1 0 1 0 0 1 1 1 0\" --kernel \"1 0 1\" --explain",
            "conv1d --data \"V V V...\" --kernel \"V V V\" [--stride N] [--padding valid|same|N|L,R] [--dilation N] [--explain]",
            LectureCommands.Conv1D, ["--data", "--kernel", "--stride", "--padding", "--dilation"], ["--explain"]),
        new("conv2d", "2-D convolution of a matrix with a kernel; --explain shows every window",
            "./shikaku conv2d --matrix \"0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1\" --kernel \"1 0 1; 1 1 1; 0 0 1\" --explain",
            "conv2d --matrix \"ROW; ROW; ...\" --kernel \"ROW; ...\" [--stride N] [--padding valid|same|N|V,H|T,B,L,R] [--dilation N] [--explain]",
            LectureCommands.Conv2D, ["--matrix", "--kernel", "--stride", "--padding", "--dilation"], ["--explain"]),
        new("pool", "Max or average pooling of a matrix (--matrix) or of a photo (IMAGE -o OUT)",
            "./shikaku pool --matrix \"4 8; 7 1\" --size 2 --explain   |   ./shikaku pool photo.jpg --size 4 --mode max -o small.png",
            "pool (--matrix \"ROW; ...\" | IMAGE -o OUT [--overwrite]) --size N [--stride N] [--mode max|avg] [--padding valid|same|N] [--explain]",
            PoolCommand.Run, ["--matrix", "--size", "--stride", "--mode", "--padding", "--out", "--quality", "--max-pixels"], ["--explain", "--keep-metadata"]),
        new("filter", "Apply a classic filter (blur, sharpen, edges, custom kernel) to a photo",
            "./shikaku filter photo.jpg --kernel gaussian:2 -o out.png",
            "filter IMAGE --kernel SPEC -o OUT [--overwrite] [--keep-metadata] [--quality 1-100] [--max-pixels N]\n  SPEC: " +
            string.Join("\n        ", Vision.Filters.FilterKernel.Catalogue.Select(c => $"{c.Spec,-34} {c.Description}")),
            FilterCommand.Run, ["--kernel", "--out", "--quality", "--max-pixels"], ["--keep-metadata"]),
        new("train", "Train a CNN on real MNIST or Fashion-MNIST (the lecture's Keras exercise)",
            "./shikaku train --dataset mnist --model lecture-cnn --epochs 10 --batch-size 128 --out runs/mnist",
            "train [--dataset mnist|fashion-mnist] [--model lecture-cnn|mlp] [--epochs N] [--batch-size N] [--lr X] [--lr-schedule step:E:F] [--augment] [--seed N] [--limit N] [--out DIR] [--overwrite]",
            TrainCommands.Train, ["--dataset", "--model", "--epochs", "--batch-size", "--lr", "--lr-schedule", "--seed", "--limit", "--out"], ["--augment"]),
        new("evaluate", "Test accuracy, loss and confusion matrix of a trained run",
            "./shikaku evaluate runs/mnist", "evaluate RUN_FOLDER", TrainCommands.Evaluate, []),
        new("predict", "Classify a photo or drawing of a digit with a trained run (prepared the way MNIST was made)",
            "./shikaku predict runs/mnist my-digit.png", "predict RUN_FOLDER IMAGE", TrainCommands.Predict, []),
        new("faces", "Find and analyse faces with face-api.js's pretrained networks: detect, analyze, verify, identify, count",
            "./shikaku faces analyze photo.jpg --out out/faces",
            "faces detect|analyze IMAGE... [--out DIR] [--detector ssd|tiny] [--min-score 0.5] [--max-faces N] [--input-size 416] [--tile] [--tiny-landmarks] [--align-eyes] [--overwrite]\n" +
            "  faces verify A B [--threshold 0.6] [--align-eyes]\n" +
            "  faces identify --known PEOPLE_DIR IMAGE... [--threshold 0.6] [--out DIR]\n" +
            "  faces count IMAGE... [--out faces.csv]\n" +
            "  --tile also searches full-resolution tiles (small faces in large photos; slower).\n" +
            "  IMAGE may be a folder. Nothing about a face is written unless --out is given.",
            FaceCommands.Run, FaceCommands.Options, FaceCommands.Flags),
        new("info", "Show the CPU features and threads the engine uses",
            "./shikaku info", "info", InfoCommand.Run, []),
    ];

    /// <summary>Entry point: runs a command, turns every expected failure into one clear line.</summary>
    public static int Main(string[] args) => Run(args, AnsiConsole.Console);

    /// <summary>Runs with a given console (tests capture the output).</summary>
    public static int Run(string[] args, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            if (args.Length > 1) return Help(console, args[1]);
            PrintHelp(console);
            return 0;
        }
        if (args[0] == "--version")
        {
            console.WriteLine($"shikaku {typeof(Program).Assembly.GetName().Version}");
            return 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command == null)
        {
            console.MarkupLineInterpolated($"[red]error:[/] unknown command '{args[0]}'. Commands: {string.Join(", ", Commands.Select(c => c.Name))}. Try ./shikaku help.");
            return 2;
        }
        try
        {
            var parsed = new CliArgs(args.Skip(1), command.Flags ?? [])
            {
                CommandLine = "./shikaku " + string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Length == 0 ? $"\"{a}\"" : a)),
            };
            parsed.RejectUnknown(command.Name, command.Options.Concat(command.Flags ?? []));
            if (parsed.Flag("--help")) return Help(console, command.Name);
            return command.Run(parsed, console);
        }
        catch (UsageException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            console.MarkupLineInterpolated($"usage: ./shikaku {command.Usage.Split('\n')[0]}");
            return 2;
        }
        catch (Exception e) when (e is ImageException or AssetException or Vision.Faces.FaceException or Models.Tfjs.ModelFormatException or FormatException or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("SHIKAKU_DEBUG") != "1")
        {
            console.MarkupLineInterpolated($"[red]internal error:[/] {e.GetType().Name}: {e.Message} (a bug in Shikaku; rerun with SHIKAKU_DEBUG=1 for the details and please report it).");
            return 70;
        }
    }

    private static int Help(IAnsiConsole console, string name)
    {
        var c = Commands.FirstOrDefault(x => x.Name == name);
        if (c == null)
        {
            console.MarkupLineInterpolated($"[red]error:[/] no command '{name}'.");
            return 2;
        }
        console.MarkupLineInterpolated($"[bold]{c.Name}[/]: {c.Summary}");
        console.WriteLine();
        console.WriteLine("usage: ./shikaku " + c.Usage);
        console.WriteLine();
        console.WriteLine("example: " + c.Example);
        return 0;
    }

    private static void PrintHelp(IAnsiConsole console)
    {
        console.MarkupLine("[bold]shikaku[/] (視覚): computer vision in pure C#: convolution, CNNs, filters, faces.");
        console.WriteLine();
        var table = new Table().Border(TableBorder.Simple).AddColumn("command").AddColumn("what it does / example");
        foreach (var c in Commands)
            table.AddRow(new Text(c.Name), new Rows(new Text(c.Summary), new Text(c.Example, new Style(Color.Grey))));
        console.Write(table);
        console.WriteLine("./shikaku help COMMAND shows every option. Environment: SHIKAKU_THREADS, SHIKAKU_SIMD (scalar|vector128|avx2|avx512), SHIKAKU_CACHE.");
    }
}
