using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Explain;

/// <summary>One window of a sliding-window operation: where it sits and what it computes.</summary>
public sealed record WindowStep
{
    /// <summary>Output position (row, column).</summary>
    public required int OutRow { get; init; }
    /// <inheritdoc cref="OutRow"/>
    public required int OutCol { get; init; }
    /// <summary>Input row and column of the window's top-left tap (may be in the padding, i.e. negative).</summary>
    public required int InRow { get; init; }
    /// <inheritdoc cref="InRow"/>
    public required int InCol { get; init; }
    /// <summary>The input values under the window (0 where it lies in the padding).</summary>
    public required float[,] Patch { get; init; }
    /// <summary>For convolution: patch x kernel, element by element. Null for pooling.</summary>
    public float[,]? Products { get; init; }
    /// <summary>Taps that fall in the padding.</summary>
    public required bool[,] Padded { get; init; }
    /// <summary>The output value (sum of products, or the max/average of the patch), as the kernel computed it.</summary>
    public required float Value { get; init; }
}

/// <summary>
/// How every output number of a convolution or pooling arises, step by step, for learners (the CLI's
/// --explain and the web studio). The output values come from the same kernels that train networks
/// and filter photos; the trace only adds the windows around them.
/// </summary>
public sealed record SlidingWindowTrace
{
    /// <summary>"conv" or "max pool" / "avg pool".</summary>
    public required string Operation { get; init; }
    /// <summary>The input matrix.</summary>
    public required float[,] Input { get; init; }
    /// <summary>The kernel (convolution only).</summary>
    public float[,]? Kernel { get; init; }
    /// <summary>Window positions, stride, dilation and padding.</summary>
    public required ConvGeometry Geometry { get; init; }
    /// <summary>One step per output value, row by row.</summary>
    public required IReadOnlyList<WindowStep> Steps { get; init; }
    /// <summary>The output matrix.</summary>
    public required float[,] Output { get; init; }

    /// <summary>The most padding a trace takes on a side: a learner's example never needs more.</summary>
    public const int MaxPadding = 1000;

    /// <summary>
    /// The most values a trace stores: it keeps the input and every window's patch (and products), so input plus
    /// windows x window size is capped at 1,000,000 (about 12 MB), far above any example that can be read.
    /// </summary>
    public const long MaxCells = 1_000_000;

    /// <summary>Convolution (cross-correlation, as in CNNs: the kernel is not flipped) of a matrix with a kernel.</summary>
    /// <example><code>var t = SlidingWindowTrace.Convolve(MatrixText.Parse("1 2; 3 4"), MatrixText.Parse("1 0; 0 1"));</code></example>
    public static SlidingWindowTrace Convolve(float[,] input, float[,] kernel, ConvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        options ??= ConvOptions.Default;
        int h = input.GetLength(0), w = input.GetLength(1), kh = kernel.GetLength(0), kw = kernel.GetLength(1);
        var g = options.Geometry(h, w, kh, kw);
        CheckSize(g, options.Padding);
        using var x = ToTensor(input);
        using var k = Tensor.FromArray(Flatten(kernel), kh, kw, 1, 1);
        using var y = Convolution.Conv2D(x, k, null, options with { Groups = 1 });
        var output = ToMatrix(y, g.OutH, g.OutW);
        var steps = Windows(input, g, (r, c) => output[r, c], kernel);
        return new SlidingWindowTrace { Operation = "conv", Input = input, Kernel = kernel, Geometry = g, Steps = steps, Output = output };
    }

    /// <summary>1-D convolution of a sequence with a kernel: a 1-row matrix.</summary>
    public static SlidingWindowTrace Convolve1D(float[] data, float[] kernel, ConvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(kernel);
        options ??= ConvOptions.Default;
        // Padding, stride and dilation act along the sequence only.
        var o = options with
        {
            StrideH = 1,
            DilationH = 1,
            Padding = options.Padding.Kind == PaddingKind.Explicit ? Padding.Explicit(0, 0, options.Padding.Left, options.Padding.Right) : options.Padding,
        };
        return Convolve(Row(data), Row(kernel), o);
    }

    /// <summary>Max or average pooling of a matrix.</summary>
    public static SlidingWindowTrace Pool(float[,] input, PoolOptions options, bool max)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        int h = input.GetLength(0), w = input.GetLength(1);
        var g = options.Geometry(h, w);
        CheckSize(g, options.Padding);
        using var x = ToTensor(input);
        using var y = max ? Pooling.MaxPool2D(x, options) : Pooling.AvgPool2D(x, options);
        var output = ToMatrix(y, g.OutH, g.OutW);
        var steps = Windows(input, g, (r, c) => output[r, c], null);
        return new SlidingWindowTrace { Operation = max ? "max pool" : "avg pool", Input = input, Geometry = g, Steps = steps, Output = output };
    }

    /// <summary>Refuses, before anything is allocated, padding over <see cref="MaxPadding"/> and traces over <see cref="MaxCells"/>.</summary>
    private static void CheckSize(ConvGeometry g, Padding padding)
    {
        int most = Math.Max(Math.Max(padding.Top, padding.Bottom), Math.Max(padding.Left, padding.Right));
        if (padding.Kind == PaddingKind.Explicit && most > MaxPadding)
            throw new ArgumentException($"Padding {padding} is over the limit of {MaxPadding} per side for a traced example; use 'same' or less padding.", nameof(padding));
        Int128 cells = (Int128)g.OutH * g.OutW * g.KH * g.KW; // four sides of up to 2^31 each
        // The input and kernel count too: the trace keeps them (a 3000x3000 input with one window was 81 MB of JSON).
        Int128 kept = cells + (Int128)g.InH * g.InW + (Int128)g.KH * g.KW;
        if (cells <= MaxCells && kept > MaxCells)
            throw new ArgumentException($"The trace would hold a {g.InH}x{g.InW} input, a {g.KH}x{g.KW} window and {cells:N0} window values = {kept:N0} values, " +
                $"over the limit of {MaxCells:N0}; use a smaller input.");
        if (cells > MaxCells)
            throw new ArgumentException($"The trace would hold {g.OutH}x{g.OutW} windows of {g.KH}x{g.KW} = {cells:N0} values, over the limit of {MaxCells:N0}; " +
                "use a smaller input or window, a larger stride or less padding.");
    }

    private static List<WindowStep> Windows(float[,] input, ConvGeometry g, Func<int, int, float> value, float[,]? kernel)
    {
        int h = input.GetLength(0), w = input.GetLength(1);
        var steps = new List<WindowStep>(g.OutH * g.OutW);
        for (int oh = 0; oh < g.OutH; oh++)
            for (int ow = 0; ow < g.OutW; ow++)
            {
                var patch = new float[g.KH, g.KW];
                var padded = new bool[g.KH, g.KW];
                var products = kernel == null ? null : new float[g.KH, g.KW];
                for (int i = 0; i < g.KH; i++)
                    for (int j = 0; j < g.KW; j++)
                    {
                        int ih = g.InputRow(oh, i), iw = g.InputCol(ow, j);
                        bool inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                        padded[i, j] = !inside;
                        patch[i, j] = inside ? input[ih, iw] : 0f;
                        if (products != null) products[i, j] = patch[i, j] * kernel![i, j];
                    }
                steps.Add(new WindowStep
                {
                    OutRow = oh, OutCol = ow, InRow = g.InputRow(oh, 0), InCol = g.InputCol(ow, 0),
                    Patch = patch, Products = products, Padded = padded, Value = value(oh, ow),
                });
            }
        return steps;
    }

    private static float[,] Row(float[] v)
    {
        var m = new float[1, v.Length];
        for (int i = 0; i < v.Length; i++) m[0, i] = v[i];
        return m;
    }

    private static float[] Flatten(float[,] m)
    {
        var a = new float[m.Length];
        int k = 0;
        foreach (float v in m) a[k++] = v;
        return a;
    }

    private static Tensor ToTensor(float[,] m) => Tensor.FromArray(Flatten(m), 1, m.GetLength(0), m.GetLength(1), 1);

    private static float[,] ToMatrix(Tensor t, int h, int w)
    {
        var m = new float[h, w];
        var s = t.Span;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++) m[r, c] = s[r * w + c];
        return m;
    }
}
