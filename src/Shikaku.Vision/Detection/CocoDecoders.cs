using Shikaku.Kernels;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Detection;

/// <summary>What a detector keeps: a minimum score, at most so many boxes, the overlap that suppresses, which classes.</summary>
/// <param name="MinScore">A detection needs a score above this (0..1).</param>
/// <param name="MaxDetections">At most this many detections per image.</param>
/// <param name="IoUThreshold">Non-max suppression drops a box overlapping a better one by more than this.</param>
/// <param name="Classes">Class ids to keep (null: all).</param>
/// <param name="ClassAware">Suppress only within a class (true) or across classes.</param>
public sealed record DetectionOptions(double MinScore = 0.3, int MaxDetections = 100, double IoUThreshold = 0.5, IReadOnlySet<int>? Classes = null,
    bool ClassAware = true)
{
    /// <summary>Throws when a setting is out of its range, naming it.</summary>
    public void Validate()
    {
        if (!(MinScore >= 0 && MinScore <= 1)) throw new ArgumentOutOfRangeException(nameof(MinScore), MinScore, "The minimum score must lie in 0..1, e.g. 0.3.");
        if (MaxDetections < 1) throw new ArgumentOutOfRangeException(nameof(MaxDetections), MaxDetections, "At least one detection must be allowed.");
        if (!(IoUThreshold > 0 && IoUThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(IoUThreshold), IoUThreshold, "The IoU threshold must lie in (0, 1], e.g. 0.5.");
    }

    internal bool Keeps(int classId) => Classes == null || Classes.Contains(classId);
}

/// <summary>Candidates in input pixels (corners, score, class) narrowed by non-max suppression and mapped back to the image.</summary>
internal sealed class Candidates(IReadOnlyList<string> names)
{
    private readonly List<double> _corners = [];
    private readonly List<double> _scores = [];
    private readonly List<int> _classes = [];

    public void Add(double x1, double y1, double x2, double y2, double score, int classId)
    {
        _corners.AddRange([x1, y1, x2, y2]);
        _scores.Add(score);
        _classes.Add(classId);
    }

    public List<DetectedObject> Select(Letterbox fit, DetectionOptions options)
    {
        var (kept, _) = NonMaxSuppression.Select(_corners.ToArray(), _scores.ToArray(),
            new NmsOptions(IoUThreshold: options.IoUThreshold, MaxOutputs: options.MaxDetections, ClassAware: options.ClassAware), _classes.ToArray());
        var result = new List<DetectedObject>(kept.Length);
        foreach (int i in kept)
        {
            var box = fit.ToImage(BoundingBox.FromXyxy(_corners[4 * i], _corners[4 * i + 1], _corners[4 * i + 2], _corners[4 * i + 3]));
            result.Add(new DetectedObject(_classes[i], names[_classes[i]], _scores[i], box));
        }
        return result;
    }
}

/// <summary>
/// CenterNet (MobileNetV3, 610265158/mobilenetv3_centernet as human.js ships it): the graph already finds the
/// heat-map peaks and writes the best 100 as rows (x1, y1, x2, y2, score, class) in input pixels; what is left is
/// the score threshold, the class filter, non-max suppression within a class and the way back to the image.
/// </summary>
public static class CenterNetDecoder
{
    /// <summary>Detections from the graph's <c>tower_0/detections</c> rows (6 floats each); non-finite rows are skipped.</summary>
    public static List<DetectedObject> Decode(ReadOnlySpan<float> detections, Letterbox fit, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (detections.Length % 6 != 0) throw new ArgumentException($"CenterNet rows have 6 values; got {detections.Length} values.", nameof(detections));
        var candidates = new Candidates(CocoClasses.Names);
        for (int r = 0; r < detections.Length / 6; r++)
        {
            var d = detections.Slice(6 * r, 6);
            float c = d[5];
            if (!(d[4] > options.MinScore) || !(c >= 0 && c < CocoClasses.Names.Count) || c != MathF.Floor(c)) continue;
            if (!float.IsFinite(d[0] + d[1] + d[2] + d[3]) || !options.Keeps((int)c)) continue;
            candidates.Add(d[0], d[1], d[2], d[3], d[4], (int)c);
        }
        return candidates.Select(fit, options);
    }
}

/// <summary>One level of NanoDet's head: its stride and, per cell (row-major), the class scores and the box-side distributions.</summary>
/// <param name="Stride">Input pixels per cell (8, 16, 32).</param>
/// <param name="Scores">cells x classes scores after the sigmoid.</param>
/// <param name="Distributions">cells x 4 x (regMax + 1) logits: for the left, top, right and bottom side, a distribution over 0..regMax cells.</param>
public sealed record NanoDetLevel(int Stride, float[] Scores, float[] Distributions);

/// <summary>
/// NanoDet (RangiLyu/nanodet, the GFL head of NanoDet-g) decoded as its authors do: each cell's centre at
/// ((col + 0.5), (row + 0.5)) x stride; each side's distance the expectation of the softmax over regMax + 1 bins,
/// times the stride; the best 1000 cells per level by their top score; then every class above the threshold
/// (not only the cell's best), and non-max suppression within each class (IoU 0.6 in the authors' test config).
/// </summary>
public static class NanoDetDecoder
{
    /// <summary>How many cells per level go on to non-max suppression (the authors' nms_pre).</summary>
    public const int PreNmsPerLevel = 1000;

    /// <summary>Detections from the head's levels for a <paramref name="inputSize"/> square input.</summary>
    public static List<DetectedObject> Decode(IReadOnlyList<NanoDetLevel> levels, int inputSize, int regMax, Letterbox fit, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int classes = CocoClasses.Names.Count, bins = regMax + 1;
        var candidates = new Candidates(CocoClasses.Names);
        Span<double> side = stackalloc double[4];
        foreach (var level in levels)
        {
            int grid = (inputSize + level.Stride - 1) / level.Stride, cells = grid * grid;
            if (level.Scores.Length != cells * classes || level.Distributions.Length != cells * 4 * bins)
                throw new ArgumentException($"A stride-{level.Stride} level of a {inputSize} input has {cells} cells: expected {cells * classes} scores and " +
                    $"{cells * 4 * bins} distribution values, got {level.Scores.Length} and {level.Distributions.Length}.", nameof(levels));
            foreach (int cell in BestCells(level.Scores, cells, classes, options))
            {
                double cx = (cell % grid + 0.5) * level.Stride, cy = (cell / grid + 0.5) * level.Stride;
                for (int s = 0; s < 4; s++) side[s] = Expectation(level.Distributions.AsSpan((cell * 4 + s) * bins, bins)) * level.Stride;
                double x1 = Math.Clamp(cx - side[0], 0, inputSize), y1 = Math.Clamp(cy - side[1], 0, inputSize);
                double x2 = Math.Clamp(cx + side[2], 0, inputSize), y2 = Math.Clamp(cy + side[3], 0, inputSize);
                for (int c = 0; c < classes; c++)
                {
                    float score = level.Scores[cell * classes + c];
                    if (score > options.MinScore && options.Keeps(c) && double.IsFinite(x1 + y1 + x2 + y2)) candidates.Add(x1, y1, x2, y2, score, c);
                }
            }
        }
        return candidates.Select(fit, options);
    }

    // The cells whose best kept class scores above the threshold, at most PreNmsPerLevel of them, best first.
    private static IEnumerable<int> BestCells(float[] scores, int cells, int classes, DetectionOptions options)
    {
        var best = new List<(float Score, int Cell)>();
        for (int cell = 0; cell < cells; cell++)
        {
            float top = float.NegativeInfinity;
            for (int c = 0; c < classes; c++)
                if (options.Keeps(c) && scores[cell * classes + c] > top) top = scores[cell * classes + c];
            if (top > options.MinScore) best.Add((top, cell));
        }
        return best.OrderByDescending(b => b.Score).ThenBy(b => b.Cell).Take(PreNmsPerLevel).Select(b => b.Cell);
    }

    // Σ i · softmax(logits)_i, computed stably.
    private static double Expectation(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0, weighted = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double e = Math.Exp(logits[i] - max);
            sum += e;
            weighted += i * e;
        }
        return weighted / sum;
    }
}
