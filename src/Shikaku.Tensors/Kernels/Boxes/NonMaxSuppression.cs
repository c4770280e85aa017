namespace Shikaku.Kernels;

/// <summary>How a selected box lowers the scores of the boxes it overlaps.</summary>
public enum SuppressionKind
{
    /// <summary>Classic greedy NMS: a box overlapping a selected one by IoU above the threshold is dropped.</summary>
    Greedy,
    /// <summary>Soft-NMS (Bodla et al. 2017), linear: score *= 1 - IoU when IoU is above the threshold.</summary>
    SoftLinear,
    /// <summary>
    /// Soft-NMS, Gaussian, as TF's non_max_suppression_with_scores: score *= exp(-IoU^2 / (2 sigma)),
    /// and a box above the IoU threshold is still dropped.
    /// </summary>
    SoftGaussian,
}

/// <summary>The settings of <c>NonMaxSuppression.Select</c>.</summary>
/// <param name="IoUThreshold">Overlap above which a box is suppressed (greedy, Gaussian) or decayed (linear).</param>
/// <param name="ScoreThreshold">A box is a candidate while its (decayed) score is above this.</param>
/// <param name="MaxOutputs">At most this many boxes are selected.</param>
/// <param name="Kind">Greedy or soft.</param>
/// <param name="Sigma">The Gaussian's sigma (TF's soft_nms_sigma); used by <see cref="SuppressionKind.SoftGaussian"/>.</param>
/// <param name="ClassAware">With class ids given: true suppresses only within a class, false across classes.</param>
public sealed record NmsOptions(
    double IoUThreshold = 0.5,
    double ScoreThreshold = double.NegativeInfinity,
    int MaxOutputs = int.MaxValue,
    SuppressionKind Kind = SuppressionKind.Greedy,
    double Sigma = 0.5,
    bool ClassAware = true)
{
    internal void Validate()
    {
        if (!(IoUThreshold >= 0 && IoUThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(IoUThreshold), IoUThreshold, "The IoU threshold must lie in 0..1, e.g. 0.5.");
        if (double.IsNaN(ScoreThreshold))
            throw new ArgumentOutOfRangeException(nameof(ScoreThreshold), ScoreThreshold, "The score threshold must be a number (negative infinity keeps every box).");
        if (MaxOutputs < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxOutputs), MaxOutputs, "The maximum number of outputs cannot be negative.");
        if (Kind == SuppressionKind.SoftGaussian && !(Sigma > 0))
            throw new ArgumentOutOfRangeException(nameof(Sigma), Sigma, "The Gaussian soft-NMS needs a positive sigma, e.g. 0.5.");
    }
}

/// <summary>
/// Non-max suppression over boxes given as corners (see <see cref="BoxOverlap"/>): greedy or soft,
/// per class or across classes. The highest score is taken first; equal scores go by index, lowest first.
/// </summary>
/// <example><code>
/// var (kept, scores) = NonMaxSuppression.Select(corners, scores, new NmsOptions(IoUThreshold: 0.5, ScoreThreshold: 0.5, MaxOutputs: 100));
/// </code></example>
public static class NonMaxSuppression
{
    /// <summary>
    /// The indices of the selected boxes in selection order and their scores after suppression (equal to
    /// the input scores for greedy NMS). <paramref name="classes"/> (one id per box) is optional.
    /// </summary>
    public static (int[] Indices, double[] Scores) Select(ReadOnlySpan<double> boxes, ReadOnlySpan<double> scores, NmsOptions options, ReadOnlySpan<int> classes = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        BoxOverlap.CheckCorners(boxes, nameof(boxes));
        int n = boxes.Length / 4;
        if (scores.Length != n) throw new ArgumentException($"{scores.Length} scores for {n} boxes: give one score per box.", nameof(scores));
        if (!classes.IsEmpty && classes.Length != n) throw new ArgumentException($"{classes.Length} class ids for {n} boxes: give one per box, or none.", nameof(classes));
        bool perClass = options.ClassAware && !classes.IsEmpty;

        var candidates = new List<int>(n);
        for (int i = 0; i < n; i++) if (scores[i] > options.ScoreThreshold) candidates.Add(i);
        var current = scores.ToArray();
        // Stable sort: equal scores keep index order (as Array.prototype.sort in face-api.js and tfjs).
        var order = candidates.OrderByDescending(i => current[i]).ToList();
        var indices = new List<int>();
        var kept = new List<double>();
        if (options.Kind == SuppressionKind.Greedy)
        {
            // Scores never change, so one pass in score order: a box is kept when no kept box overlaps it too much.
            foreach (int c in order)
            {
                if (indices.Count >= options.MaxOutputs) break;
                bool suppressed = false;
                for (int j = indices.Count - 1; j >= 0 && !suppressed; j--)
                {
                    int s = indices[j];
                    if (perClass && classes[s] != classes[c]) continue;
                    suppressed = BoxOverlap.IoU(boxes, c, s) > options.IoUThreshold;
                }
                if (!suppressed)
                {
                    indices.Add(c);
                    kept.Add(scores[c]);
                }
            }
            return ([.. indices], [.. kept]);
        }
        // Soft: take the best remaining box, decay the others by their overlap with it, drop those that fall
        // to the score threshold. O(selected * candidates).
        double gaussian = -0.5 / options.Sigma;
        var alive = order;
        while (alive.Count > 0 && indices.Count < options.MaxOutputs)
        {
            int best = 0;
            for (int k = 1; k < alive.Count; k++)
                if (current[alive[k]] > current[alive[best]] || (current[alive[k]] == current[alive[best]] && alive[k] < alive[best])) best = k;
            int chosen = alive[best];
            alive.RemoveAt(best);
            indices.Add(chosen);
            kept.Add(current[chosen]);
            var next = new List<int>(alive.Count);
            foreach (int c in alive)
            {
                if (!(perClass && classes[c] != classes[chosen]))
                {
                    double iou = BoxOverlap.IoU(boxes, c, chosen);
                    double weight = options.Kind == SuppressionKind.SoftLinear
                        ? (iou > options.IoUThreshold ? 1 - iou : 1)
                        : (iou > options.IoUThreshold ? 0 : Math.Exp(gaussian * iou * iou));
                    current[c] *= weight;
                }
                if (current[c] > options.ScoreThreshold) next.Add(c);
            }
            alive = next;
        }
        return ([.. indices], [.. kept]);
    }

    /// <summary><see cref="Select(ReadOnlySpan{double}, ReadOnlySpan{double}, NmsOptions, ReadOnlySpan{int})"/> on float boxes and scores (widened exactly to double).</summary>
    public static (int[] Indices, double[] Scores) Select(ReadOnlySpan<float> boxes, ReadOnlySpan<float> scores, NmsOptions options, ReadOnlySpan<int> classes = default)
    {
        var b = new double[boxes.Length];
        var s = new double[scores.Length];
        for (int i = 0; i < b.Length; i++) b[i] = boxes[i];
        for (int i = 0; i < s.Length; i++) s[i] = scores[i];
        return Select(b, s, options, classes);
    }
}
