using System.Globalization;
using Shikaku.Explain;
using Shikaku.Tensors;
using Shikaku.App;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>conv1d, conv2d and matrix pooling: the lecture's worked examples (computed by <see cref="Traces"/>), with explanations.</summary>
internal static class LectureCommands
{
    public static int Conv1D(CliArgs args, Cli cli)
    {
        var request = new Conv1DRequest(args.Require("--data", "\"0 1 0 1 0 0 1 1 1 0\""), args.Require("--kernel", "\"1 0 1\""), Window(args));
        return Show(args, cli, "conv1d", () => Traces.Conv1D(request));
    }

    public static int Conv2D(CliArgs args, Cli cli)
    {
        var request = new Conv2DRequest(args.Require("--matrix", "\"0 1 1; 1 0 1; 1 1 0\""), args.Require("--kernel", "\"1 0; 0 1\""), Window(args));
        return Show(args, cli, "conv2d", () => Traces.Conv2D(request));
    }

    public static int PoolMatrix(CliArgs args, Cli cli)
    {
        string matrix = args.Require("--matrix", "\"4 8; 7 1\"");
        int size = args.Int("--size", 2, 1, 1000);
        int? stride = args.Get("--stride") == null ? null : args.Int("--stride", size, 1, 1000);
        var request = new PoolMatrixRequest(matrix, size, stride, args.Get("--padding") ?? "valid", Mode(args));
        return Show(args, cli, "pool", () => Traces.Pool(request));
    }

    /// <summary>The output matrix on stdout; the windows too with --explain; everything as JSON with --json.</summary>
    private static int Show(CliArgs args, Cli cli, string command, Func<TraceResult> compute)
    {
        bool explain = args.Flag("--explain"), json = args.Flag("--json");
        args.RejectUnknown(command);
        var result = compute();
        if (json)
        {
            cli.WriteJson(result.ToJson());
            return ExitCodes.Ok;
        }
        if (explain) ExplainRenderer.Write(cli.Out, result);
        WriteMatrix(cli.Out, result.Output);
        return ExitCodes.Ok;
    }

    internal static bool Mode(CliArgs args) => Traces.ParsePoolMode(args.Get("--mode"));

    private static void WriteMatrix(IAnsiConsole console, float[,] m)
    {
        for (int r = 0; r < m.GetLength(0); r++)
            console.WriteLine(string.Join(' ', Enumerable.Range(0, m.GetLength(1)).Select(c => MatrixText.FormatValue(m[r, c]))));
    }

    private static WindowSettings Window(CliArgs args) =>
        new(args.Int("--stride", 1, 1, 1000), args.Int("--dilation", 1, 1, 1000), args.Get("--padding") ?? "valid");
}

/// <summary>Writes a trace as readable tables: for each window the patch, the kernel, the products and the result.</summary>
internal static class ExplainRenderer
{
    public static void Write(IAnsiConsole console, TraceResult traced)
    {
        var trace = traced.Trace;
        string geometry = traced.Geometry;
        console.MarkupLineInterpolated($"[bold]{trace.Operation}[/]{geometry[trace.Operation.Length..]}");
        console.WriteLine("(values under the window that lie in the padding are shown as 0*)");
        foreach (var s in trace.Steps)
        {
            // The heading on its own line: as the table's title it was centred on, and wrapped to, the table's width.
            console.WriteLine($"output[{s.OutRow},{s.OutCol}]: window from input row {s.InRow}, column {s.InCol}");
            var table = new Table().Border(TableBorder.Rounded);
            table.AddColumn("patch");
            if (trace.Kernel != null) table.AddColumn("kernel").AddColumn("products");
            table.AddColumn("result");
            string result = trace.Kernel != null
                ? $"sum = {string.Join(" + ", s.Products!.Cast<float>().Select(Format))}\n    = {Format(s.Value)}"
                : $"{trace.Operation.Split(' ')[0]}({string.Join(", ", Flat(s.Patch, s.Padded, real: true))}) = {Format(s.Value)}";
            var cells = new List<Text> { new(Block(s.Patch, s.Padded)) };
            if (trace.Kernel != null)
            {
                cells.Add(new Text(Block(trace.Kernel, null)));
                cells.Add(new Text(Block(s.Products!, null)));
            }
            cells.Add(new Text(result));
            table.AddRow(cells);
            console.Write(table);
        }
        console.MarkupLine("[bold]output[/]");
    }

    private static IEnumerable<string> Flat(float[,] m, bool[,] padded, bool real)
    {
        for (int r = 0; r < m.GetLength(0); r++)
            for (int c = 0; c < m.GetLength(1); c++)
                if (!real || !padded[r, c]) yield return Format(m[r, c]);
    }

    private static string Block(float[,] m, bool[,]? padded)
    {
        var cells = new string[m.GetLength(0), m.GetLength(1)];
        int width = 1;
        for (int r = 0; r < m.GetLength(0); r++)
            for (int c = 0; c < m.GetLength(1); c++)
            {
                cells[r, c] = Format(m[r, c]) + (padded != null && padded[r, c] ? "*" : "");
                width = Math.Max(width, cells[r, c].Length);
            }
        return string.Join('\n', Enumerable.Range(0, m.GetLength(0)).Select(r =>
            string.Join(' ', Enumerable.Range(0, m.GetLength(1)).Select(c => cells[r, c].PadLeft(width)))));
    }

    private static string Format(float v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
