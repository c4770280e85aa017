using System.Globalization;
using Shikaku.Tensors;

namespace Shikaku.Vision.Filters;

/// <summary>
/// A classic image filter: a 2-D kernel applied to every channel, optionally as two 1-D passes
/// (separable), and how its signed result becomes a displayable image.
/// </summary>
public sealed record FilterKernel
{
    /// <summary>Name as written on the command line, e.g. "gaussian:2".</summary>
    public required string Name { get; init; }
    /// <summary>The full 2-D kernel (rows x columns).</summary>
    public required float[,] Kernel { get; init; }
    /// <summary>When set, Kernel = Column x Row and the filter runs as a vertical and a horizontal pass.</summary>
    public float[]? Column { get; init; }
    /// <inheritdoc cref="Column"/>
    public float[]? Row { get; init; }
    /// <summary>Edge filters give signed values: shown as their magnitude.</summary>
    public bool Absolute { get; init; }
    /// <summary>Added before display (emboss shows flat areas as mid-grey).</summary>
    public float Offset { get; init; }
    /// <summary>When set, the result is sqrt(a² + b²) of this kernel and <see cref="Partner"/> (gradient magnitude).</summary>
    public FilterKernel? Partner { get; init; }

    /// <summary>The names <see cref="Parse"/> understands, with an example each.</summary>
    public static IReadOnlyList<(string Spec, string Description)> Catalogue { get; } =
    [
        ("box:N", "mean of an NxN neighbourhood (box:3)"),
        ("gaussian:SIGMA", "Gaussian blur; the size follows from sigma (gaussian:2)"),
        ("gaussian:SIGMA:SIZE", "Gaussian blur with an odd size; sigma 0 derives it from the size like OpenCV (gaussian:0:5)"),
        ("sharpen", "boost detail: 5 at the centre, -1 at the four neighbours"),
        ("sobel-x / sobel-y", "horizontal / vertical Sobel gradient"),
        ("sobel", "Sobel gradient magnitude (edges)"),
        ("prewitt-x / prewitt-y / prewitt", "Prewitt gradients and magnitude"),
        ("laplacian", "second derivative, 4-neighbour"),
        ("emboss", "relief effect"),
        ("\"1 0 -1; 2 0 -2; 1 0 -1\"", "any kernel as text: rows separated by ';'"),
    ];

    /// <summary>
    /// The largest kernel side accepted (255): a box, a Gaussian or a custom kernel of up to 255 x 255 taps.
    /// Larger ones cost memory and time out of all proportion and blur past anything a photo shows;
    /// downscale the image instead.
    /// </summary>
    public const int MaxSize = 255;

    /// <summary>Parses a filter name or a kernel written as text.</summary>
    /// <example><code>FilterKernel.Parse("gaussian:2"); FilterKernel.Parse("1 0 -1; 2 0 -2; 1 0 -1");</code></example>
    public static FilterKernel Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim().ToLowerInvariant();
        if (s.All(ch => ch == ';' || char.IsWhiteSpace(ch)))
            throw Bad(spec, "the kernel is empty; give a filter name (box:3, gaussian:2, sobel, ...) or the kernel's values, rows separated by ';' (\"1 0 -1; 2 0 -2; 1 0 -1\")");
        string[] parts = s.Split(':');
        switch (parts[0])
        {
            case "box":
            {
                int n = parts.Length > 1 ? Int(parts[1], spec, "size") : 3;
                if (n < 1) throw Bad(spec, "the box size must be at least 1");
                if (n > MaxSize) throw Bad(spec, $"the box size {n} is over the limit of {MaxSize}; downscale the image (pool, resize) for a wider blur");
                var ones = Enumerable.Repeat(1f / n, n).ToArray();
                return Separable($"box:{n}", ones, ones);
            }
            case "gaussian":
            {
                float sigma = parts.Length > 1 ? Float(parts[1], spec, "sigma") : 1f;
                int size = parts.Length > 2 ? Int(parts[2], spec, "size") : 0;
                if (sigma < 0 || (sigma == 0 && size == 0)) throw Bad(spec, "give a positive sigma, or sigma 0 with a size (gaussian:0:5)");
                if (size == 0) size = (int)Math.Min(int.MaxValue, Math.Max(3, (long)Math.Round(sigma * 8 + 1) | 1)); // OpenCV's rule for float images
                if (size < 0) throw Bad(spec, $"the size {size} must be a positive odd number");
                if (size > MaxSize)
                    throw Bad(spec, parts.Length > 2
                        ? $"the size {size} is over the limit of {MaxSize}"
                        : $"sigma {sigma.ToString("0.###", CultureInfo.InvariantCulture)} needs a {size}-tap kernel, over the limit of {MaxSize}; use sigma at most 31.6 or downscale the image first");
                if (size % 2 == 0 || size < 1) throw Bad(spec, $"the size {size} must be odd");
                float[] g;
                if (sigma == 0 && size <= 7)
                {
                    g = SmallGaussian[size / 2]; // OpenCV uses these fixed binomial kernels when sigma is derived
                    sigma = 0.3f * ((size - 1) * 0.5f - 1) + 0.8f;
                }
                else
                {
                    if (sigma == 0) sigma = 0.3f * ((size - 1) * 0.5f - 1) + 0.8f; // OpenCV's rule
                    g = Gaussian1D(size, sigma);
                }
                return Separable($"gaussian:{sigma.ToString("0.###", CultureInfo.InvariantCulture)}:{size}", g, g);
            }
            case "sharpen":
                return Dense("sharpen", "0 -1 0; -1 5 -1; 0 -1 0");
            case "sobel-x" or "sobel-y" or "sobel":
                return Gradient(parts[0], "sobel", [1, 2, 1]);
            case "prewitt-x" or "prewitt-y" or "prewitt":
                return Gradient(parts[0], "prewitt", [1, 1, 1]);
            case "laplacian":
                return Dense("laplacian", "0 1 0; 1 -4 1; 0 1 0") with { Absolute = true };
            case "emboss":
                return Dense("emboss", "-2 -1 0; -1 1 1; 0 1 2");
        }
        if (char.IsDigit(s[0]) || s[0] is '-' or '+' or '.')
        {
            float[,] k;
            try
            {
                k = MatrixText.Parse(spec, "kernel");
            }
            catch (FormatException e)
            {
                throw new FormatException($"Kernel \"{spec}\": {e.Message}", e);
            }
            if (k.GetLength(0) > MaxSize || k.GetLength(1) > MaxSize)
                throw Bad(spec.Length > 40 ? spec[..40] + "..." : spec, $"the kernel is {k.GetLength(0)}x{k.GetLength(1)}, over the limit of {MaxSize}x{MaxSize}");
            return new FilterKernel { Name = "custom", Kernel = k };
        }
        throw Bad(spec, "unknown filter; use one of: " + string.Join(", ", Catalogue.Select(c => c.Spec)));
    }

    /// <summary>
    /// A first-derivative family: "-x" differentiates along the row and smooths down the column,
    /// "-y" the transpose, and the bare name pairs the two (magnitude of both).
    /// </summary>
    private static FilterKernel Gradient(string name, string family, float[] smooth)
    {
        var x = Separable($"{family}-x", smooth, [-1, 0, 1]) with { Absolute = true };
        var y = Separable($"{family}-y", [-1, 0, 1], smooth) with { Absolute = true };
        return name.EndsWith("-x", StringComparison.Ordinal) ? x
            : name.EndsWith("-y", StringComparison.Ordinal) ? y
            : x with { Name = family, Partner = y };
    }

    private static FilterKernel Dense(string name, string text) => new() { Name = name, Kernel = MatrixText.Parse(text) };

    private static FilterKernel Separable(string name, float[] column, float[] row)
    {
        var k = new float[column.Length, row.Length];
        for (int i = 0; i < column.Length; i++)
            for (int j = 0; j < row.Length; j++) k[i, j] = column[i] * row[j];
        return new FilterKernel { Name = name, Kernel = k, Column = column, Row = row };
    }

    private static readonly float[][] SmallGaussian =
    [
        [1f],
        [0.25f, 0.5f, 0.25f],
        [0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f],
        [0.03125f, 0.109375f, 0.21875f, 0.28125f, 0.21875f, 0.109375f, 0.03125f],
    ];

    /// <summary>Normalised Gaussian weights, as OpenCV's getGaussianKernel computes them.</summary>
    public static float[] Gaussian1D(int size, float sigma)
    {
        var g = new double[size];
        double sum = 0, s2 = 2.0 * sigma * sigma;
        for (int i = 0; i < size; i++)
        {
            double x = i - (size - 1) / 2.0;
            sum += g[i] = Math.Exp(-x * x / s2);
        }
        return g.Select(v => (float)(v / sum)).ToArray();
    }

    private static int Int(string text, string spec, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw Bad(spec, $"the {what} '{text}' is not a whole number");

    private static float Float(string text, string spec, string what) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v) ? v : throw Bad(spec, $"the {what} '{text}' is not a number");

    private static FormatException Bad(string spec, string why) => new($"Filter '{spec}': {why}.");
}
