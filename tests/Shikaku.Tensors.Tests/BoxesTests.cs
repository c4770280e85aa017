using Shikaku.Kernels;

namespace Shikaku.Tests;

public class BoxesTests
{
    // IoU from the definition on normalised corners.
    private static double NaiveIoU(double[] b, int i, int j)
    {
        double ay1 = Math.Min(b[4 * i], b[4 * i + 2]), ay2 = Math.Max(b[4 * i], b[4 * i + 2]);
        double ax1 = Math.Min(b[4 * i + 1], b[4 * i + 3]), ax2 = Math.Max(b[4 * i + 1], b[4 * i + 3]);
        double by1 = Math.Min(b[4 * j], b[4 * j + 2]), by2 = Math.Max(b[4 * j], b[4 * j + 2]);
        double bx1 = Math.Min(b[4 * j + 1], b[4 * j + 3]), bx2 = Math.Max(b[4 * j + 1], b[4 * j + 3]);
        double areaA = (ay2 - ay1) * (ax2 - ax1), areaB = (by2 - by1) * (bx2 - bx1);
        if (areaA <= 0 || areaB <= 0) return 0;
        double ih = Math.Max(0, Math.Min(ay2, by2) - Math.Max(ay1, by1)), iw = Math.Max(0, Math.Min(ax2, bx2) - Math.Max(ax1, bx1));
        return ih * iw / (areaA + areaB - ih * iw);
    }

    // Naive NMS from the definition: repeatedly take the best remaining box (ties: lowest index), then
    // re-score every other remaining box of a suppressing class by its overlap with it.
    private static (int[], double[]) NaiveNms(double[] boxes, double[] scores, int[]? classes, NmsOptions o)
    {
        int n = scores.Length;
        var s = (double[])scores.Clone();
        var alive = Enumerable.Range(0, n).Where(i => s[i] > o.ScoreThreshold).ToHashSet();
        var picked = new List<int>();
        var pickedScores = new List<double>();
        while (alive.Count > 0 && picked.Count < o.MaxOutputs)
        {
            int best = alive.OrderByDescending(i => s[i]).ThenBy(i => i).First();
            alive.Remove(best);
            picked.Add(best);
            pickedScores.Add(s[best]);
            foreach (int i in alive.ToList())
            {
                if (o.ClassAware && classes != null && classes[i] != classes[best]) continue;
                double iou = NaiveIoU(boxes, i, best);
                if (o.Kind == SuppressionKind.Greedy) { if (iou > o.IoUThreshold) alive.Remove(i); continue; }
                s[i] *= o.Kind == SuppressionKind.SoftLinear ? (iou > o.IoUThreshold ? 1 - iou : 1) : (iou > o.IoUThreshold ? 0 : Math.Exp(-iou * iou / (2 * o.Sigma)));
                if (!(s[i] > o.ScoreThreshold)) alive.Remove(i);
            }
        }
        return ([.. picked], [.. pickedScores]);
    }

    private static (double[] Boxes, double[] Scores, int[] Classes) RandomBoxes(Random rng, int n)
    {
        var boxes = new double[n * 4];
        var scores = new double[n];
        var classes = new int[n];
        for (int i = 0; i < n; i++)
        {
            double y = rng.NextDouble() * 10, x = rng.NextDouble() * 10;
            // Corners in either order; a few empty boxes.
            double h = rng.Next(8) == 0 ? 0 : rng.NextDouble() * 5, w = rng.NextDouble() * 5;
            bool flip = rng.Next(2) == 0;
            boxes[4 * i] = flip ? y + h : y;
            boxes[4 * i + 1] = x;
            boxes[4 * i + 2] = flip ? y : y + h;
            boxes[4 * i + 3] = x + w;
            scores[i] = Math.Round(rng.NextDouble(), 1); // many equal scores
            classes[i] = rng.Next(3);
        }
        return (boxes, scores, classes);
    }

    [Fact]
    public void IoUIsTheDefinitionOnRandomBoxes()
    {
        var rng = new Random(3);
        var (boxes, _, _) = RandomBoxes(rng, 40);
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 40; j++) Assert.Equal(NaiveIoU(boxes, i, j), BoxOverlap.IoU(boxes, i, j), 12);
        var pair = BoxOverlap.PairwiseIoU(boxes.AsSpan(0, 8), boxes.AsSpan(8, 12));
        Assert.Equal(BoxOverlap.IoU(boxes, 1, 4), pair[1, 2]);
        // Two unit squares overlapping by half: 0.5 / 1.5.
        Assert.Equal(1.0 / 3, BoxOverlap.IoU([0, 0, 1, 1, 0, 0.5, 1, 1.5], 0, 1), 15);
    }

    [Theory]
    [InlineData(SuppressionKind.Greedy, true)]
    [InlineData(SuppressionKind.Greedy, false)]
    [InlineData(SuppressionKind.SoftLinear, true)]
    [InlineData(SuppressionKind.SoftLinear, false)]
    [InlineData(SuppressionKind.SoftGaussian, true)]
    [InlineData(SuppressionKind.SoftGaussian, false)]
    public void NonMaxSuppressionMatchesTheNaiveDefinitionOnRandomBoxes(SuppressionKind kind, bool classAware)
    {
        var rng = new Random((int)kind * 10 + (classAware ? 1 : 0));
        for (int trial = 0; trial < 30; trial++)
        {
            int n = rng.Next(0, 60);
            var (boxes, scores, classes) = RandomBoxes(rng, n);
            var options = new NmsOptions(IoUThreshold: rng.NextDouble() * 0.8, ScoreThreshold: rng.Next(3) == 0 ? double.NegativeInfinity : rng.NextDouble() * 0.5,
                MaxOutputs: rng.Next(1, 70), Kind: kind, Sigma: 0.1 + rng.NextDouble(), ClassAware: classAware);
            var (expected, expectedScores) = NaiveNms(boxes, scores, classes, options);
            var (actual, actualScores) = NonMaxSuppression.Select(boxes, scores, options, classes);
            Assert.Equal(expected, actual);
            Assert.Equal(expectedScores.Length, actualScores.Length);
            for (int i = 0; i < expectedScores.Length; i++) Assert.Equal(expectedScores[i], actualScores[i], 12);
        }
    }

    [Fact]
    public void GreedyNmsKeepsTheFirstOfEqualScoresAndHonoursTheLimits()
    {
        // Three identical boxes with equal scores: the lowest index wins; a far box survives.
        double[] boxes = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 5, 5, 6, 6];
        double[] scores = [0.9, 0.9, 0.9, 0.3];
        Assert.Equal([0, 3], NonMaxSuppression.Select(boxes, scores, new NmsOptions()).Indices);
        Assert.Equal([0], NonMaxSuppression.Select(boxes, scores, new NmsOptions(MaxOutputs: 1)).Indices);
        Assert.Equal([0], NonMaxSuppression.Select(boxes, scores, new NmsOptions(ScoreThreshold: 0.3)).Indices);
        // Per class, box 1 of another class is not suppressed by box 0.
        Assert.Equal([0, 1, 3], NonMaxSuppression.Select(boxes, scores, new NmsOptions(), [0, 1, 0, 0]).Indices);
        Assert.Equal([0, 3], NonMaxSuppression.Select(boxes, scores, new NmsOptions(ClassAware: false), [0, 1, 0, 0]).Indices);
        Assert.Throws<ArgumentOutOfRangeException>(() => NonMaxSuppression.Select(boxes, scores, new NmsOptions(IoUThreshold: 2)));
        Assert.Throws<ArgumentException>(() => NonMaxSuppression.Select(boxes, [0.5], new NmsOptions()));
    }

    [Fact]
    public void GaussianSoftNmsDecaysAnOverlappingScoreAsTensorFlowDoes()
    {
        // Two unit squares with IoU 1/3, sigma 0.5: the second score becomes 0.8 * exp(-(1/3)^2 / (2 * 0.5)).
        double[] boxes = [0, 0, 1, 1, 0, 0.5, 1, 1.5];
        var (indices, scores) = NonMaxSuppression.Select(boxes, [0.9, 0.8], new NmsOptions(IoUThreshold: 1, Kind: SuppressionKind.SoftGaussian, Sigma: 0.5));
        Assert.Equal([0, 1], indices);
        Assert.Equal(0.8 * Math.Exp(-1.0 / 9), scores[1], 14);
        var linear = NonMaxSuppression.Select(boxes, [0.9, 0.8], new NmsOptions(IoUThreshold: 0.3, Kind: SuppressionKind.SoftLinear));
        Assert.Equal(0.8 * (1 - 1.0 / 3), linear.Scores[1], 14);
    }
}
