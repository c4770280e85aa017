using Shikaku.Explain;
using Shikaku.Kernels;
using Shikaku.Tensors;
using Padding = Shikaku.Kernels.Padding;

namespace Shikaku.App;

/// <summary>Stride, dilation and padding of a sliding window, as a front end receives them (padding as text: valid, same, N, V,H or T,B,L,R).</summary>
public sealed record WindowSettings(int Stride = 1, int Dilation = 1, string Padding = "valid");

/// <summary>conv1d: a sequence and a kernel, each "V V V".</summary>
public sealed record Conv1DRequest(string Data, string Kernel, WindowSettings Window);

/// <summary>conv2d: a matrix and a kernel, rows separated by ';'.</summary>
public sealed record Conv2DRequest(string Matrix, string Kernel, WindowSettings Window);

/// <summary>Pooling of a matrix given as text; the stride defaults to the size.</summary>
public sealed record PoolMatrixRequest(string Matrix, int Size, int? Stride, string Padding, bool Max);

/// <summary>A sliding-window trace: the output, and every window with its patch, products and value.</summary>
public sealed record TraceResult(SlidingWindowTrace Trace)
{
    /// <summary>The output matrix.</summary>
    public float[,] Output => Trace.Output;

    /// <summary>One line that says what slid over what, with which stride, dilation and padding.</summary>
    public string Geometry
    {
        get
        {
            var g = Trace.Geometry;
            return $"{Trace.Operation} of a {g.InH}x{g.InW} input with a {g.KH}x{g.KW} window: stride {g.StrideH}x{g.StrideW}, dilation {g.DilationH}x{g.DilationW}, padding top {g.PadTop} bottom {g.PadBottom} left {g.PadLeft} right {g.PadRight} -> {g.OutH}x{g.OutW} output";
        }
    }

    /// <summary>The JSON contract of conv1d/conv2d/pool --json (docs/CLI.md).</summary>
    public object ToJson()
    {
        var t = Trace;
        var g = t.Geometry;
        return new
        {
            operation = t.Operation,
            input = Contract.Rows(t.Input),
            kernel = t.Kernel == null ? null : Contract.Rows(t.Kernel),
            geometry = new
            {
                input = new[] { g.InH, g.InW },
                window = new[] { g.KH, g.KW },
                stride = new[] { g.StrideH, g.StrideW },
                dilation = new[] { g.DilationH, g.DilationW },
                padding = new { top = g.PadTop, bottom = g.PadBottom, left = g.PadLeft, right = g.PadRight },
                output = new[] { g.OutH, g.OutW },
            },
            output = Contract.Rows(t.Output),
            steps = t.Steps.Select(s => new
            {
                output = new[] { s.OutRow, s.OutCol },
                input = new[] { s.InRow, s.InCol },
                patch = Contract.Rows(s.Patch),
                padded = Contract.Rows(s.Padded),
                products = s.Products == null ? null : Contract.Rows(s.Products),
                value = s.Value,
            }),
        };
    }
}

/// <summary>The lecture's worked examples: convolution and pooling of small matrices, explained window by window.</summary>
/// <example><code>var r = Traces.Conv1D(new Conv1DRequest("0 1 0 1", "1 0 1", new WindowSettings()));</code></example>
public static class Traces
{
    public static TraceResult Conv1D(Conv1DRequest request)
    {
        var data = Vector(request.Data, "data");
        var kernel = Vector(request.Kernel, "kernel");
        return new(SlidingWindowTrace.Convolve1D(data, kernel, Options(request.Window)));
    }

    public static TraceResult Conv2D(Conv2DRequest request)
    {
        var input = MatrixText.Parse(request.Matrix, "matrix");
        var kernel = MatrixText.Parse(request.Kernel, "kernel");
        return new(SlidingWindowTrace.Convolve(input, kernel, Options(request.Window)));
    }

    public static TraceResult Pool(PoolMatrixRequest request)
    {
        var input = MatrixText.Parse(request.Matrix, "matrix");
        return new(SlidingWindowTrace.Pool(input, new PoolOptions(request.Size, request.Stride, Padding.Parse(request.Padding)), request.Max));
    }

    /// <summary>"max" (true) or "avg"/"average"/"mean" (false); null means max.</summary>
    public static bool ParsePoolMode(string? mode) => (mode ?? "max").ToLowerInvariant() switch
    {
        "max" => true,
        "avg" or "average" or "mean" => false,
        var m => throw new UsageException($"--mode '{m}' is not max or avg."),
    };

    private static float[] Vector(string text, string what)
    {
        var m = MatrixText.Parse(text, what);
        if (m.GetLength(0) != 1) throw new FormatException($"The {what} of conv1d is one row of numbers; got {m.GetLength(0)} rows (remove the ';').");
        return Enumerable.Range(0, m.GetLength(1)).Select(i => m[0, i]).ToArray();
    }

    private static ConvOptions Options(WindowSettings w) => new()
    {
        Stride = w.Stride,
        Dilation = w.Dilation,
        Padding = Padding.Parse(w.Padding),
    };
}
