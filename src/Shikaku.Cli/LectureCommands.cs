using System.Globalization;
using Shikaku.Explain;
using Shikaku.Tensors;
using Shikaku.Kernels;
using Spectre.Console;
using Padding = Shikaku.Kernels.Padding;

namespace Shikaku.Cli;

/// <summary>conv1d, conv2d and matrix pooling: the lecture's worked examples, with explanations.</summary>
internal static class LectureCommands
{
    public static int Conv1D(CliArgs args, Cli cli)
    {
        var data = Vector(args.Require("--data", "\"0 1 0 1 0 0 1 1 1 0\""), "data");
        var kernel = Vector(args.Require("--kernel", "\"1 0 1\""), "kernel");
        var options = ConvOptionsFrom(args);
        return Show(args, cli, "conv1d", () => SlidingWindowTrace.Convolve1D(data, kernel, options));
    }

    public static int Conv2D(CliArgs args, Cli cli)
    {
        var input = MatrixText.Parse(args.Require("--matrix", "\"0 1 1; 1 0 1; 1 1 0\""), "matrix");
        var kernel = MatrixText.Parse(args.Require("--kernel", "\"1 0; 0 1\""), "kernel");
        var options = ConvOptionsFrom(args);
        return Show(args, cli, "conv2d", () => SlidingWindowTrace.Convolve(input, kernel, options));
    }

    public static int PoolMatrix(CliArgs args, Cli cli)
    {
        var input = MatrixText.Parse(args.Require("--matrix", "\"4 8; 7 1\""), "matrix");
        int size = args.Int("--size", 2, 1, 1000);
        int? stride = args.Get("--stride") == null ? null : args.Int("--stride", size, 1, 1000);
        var padding = Padding.Parse(args.Get("--padding") ?? "valid");
        bool max = Mode(args);
        return Show(args, cli, "pool", () => SlidingWindowTrace.Pool(input, new PoolOptions(size, stride, padding), max));
    }

    /// <summary>The output matrix on stdout; the windows too with --explain; everything as JSON with --json.</summary>
    private static int Show(CliArgs args, Cli cli, string command, Func<SlidingWindowTrace> compute)
    {
        bool explain = args.Flag("--explain"), json = args.Flag("--json");
        args.RejectUnknown(command);
        var trace = compute();
        if (json)
        {
            cli.WriteJson(TraceJson.From(trace));
            return ExitCodes.Ok;
        }
        if (explain) ExplainRenderer.Write(cli.Out, trace);
        WriteMatrix(cli.Out, trace.Output);
        return ExitCodes.Ok;
    }

    internal static bool Mode(CliArgs args) => (args.Get("--mode") ?? "max").ToLowerInvariant() switch
    {
        "max" => true,
        "avg" or "average" or "mean" => false,
        var m => throw new UsageException($"--mode '{m}' is not max or avg."),
    };

    private static void WriteMatrix(IAnsiConsole console, float[,] m)
    {
        for (int r = 0; r < m.GetLength(0); r++)
            console.WriteLine(string.Join(' ', Enumerable.Range(0, m.GetLength(1)).Select(c => MatrixText.FormatValue(m[r, c]))));
    }

    private static float[] Vector(string text, string what)
    {
        var m = MatrixText.Parse(text, what);
        if (m.GetLength(0) != 1) throw new FormatException($"The {what} of conv1d is one row of numbers; got {m.GetLength(0)} rows (remove the ';').");
        return Enumerable.Range(0, m.GetLength(1)).Select(i => m[0, i]).ToArray();
    }

    private static ConvOptions ConvOptionsFrom(CliArgs args) => new()
    {
        Stride = args.Int("--stride", 1, 1, 1000),
        Dilation = args.Int("--dilation", 1, 1, 1000),
        Padding = Padding.Parse(args.Get("--padding") ?? "valid"),
    };
}

/// <summary>A trace as the JSON document of conv1d/conv2d/pool --json (schema in docs/CLI.md).</summary>
internal static class TraceJson
{
    public static object From(SlidingWindowTrace t)
    {
        var g = t.Geometry;
        return new
        {
            operation = t.Operation,
            input = Rows(t.Input),
            kernel = t.Kernel == null ? null : Rows(t.Kernel),
            geometry = new
            {
                input = new[] { g.InH, g.InW },
                window = new[] { g.KH, g.KW },
                stride = new[] { g.StrideH, g.StrideW },
                dilation = new[] { g.DilationH, g.DilationW },
                padding = new { top = g.PadTop, bottom = g.PadBottom, left = g.PadLeft, right = g.PadRight },
                output = new[] { g.OutH, g.OutW },
            },
            output = Rows(t.Output),
            steps = t.Steps.Select(s => new
            {
                output = new[] { s.OutRow, s.OutCol },
                input = new[] { s.InRow, s.InCol },
                patch = Rows(s.Patch),
                padded = Rows(s.Padded),
                products = s.Products == null ? null : Rows(s.Products),
                value = s.Value,
            }),
        };
    }

    /// <summary>A matrix as rows (JSON has no 2-D arrays).</summary>
    public static T[][] Rows<T>(T[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(r => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray()).ToArray();
}

/// <summary>Writes a trace as readable tables: for each window the patch, the kernel, the products and the result.</summary>
internal static class ExplainRenderer
{
    public static void Write(IAnsiConsole console, SlidingWindowTrace trace)
    {
        var g = trace.Geometry;
        console.MarkupLineInterpolated($"[bold]{trace.Operation}[/] of a {g.InH}x{g.InW} input with a {g.KH}x{g.KW} window: stride {g.StrideH}x{g.StrideW}, dilation {g.DilationH}x{g.DilationW}, padding top {g.PadTop} bottom {g.PadBottom} left {g.PadLeft} right {g.PadRight} -> {g.OutH}x{g.OutW} output");
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
