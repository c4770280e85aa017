using Shikaku.Tensors;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;

namespace Shikaku.Tests;

/// <summary>The COCO detectors' decoding against references written out here step by step, and the letterbox's way back.</summary>
public sealed class CocoDecoderTests
{
    [Fact]
    public void TheLetterboxCentresTheImageAndMapsBoxesBack()
    {
        var fit = new Letterbox(200, 100, 100);
        Assert.Equal((0, 50), (fit.Left, fit.Top));
        Assert.Equal((0.5, 0.5), fit.Scale);
        Assert.Equal(new BoundingBox(20, 10, 80, 60), fit.ToImage(BoundingBox.FromXyxy(10, 30, 50, 60)));
        // A box reaching into the black band is clipped to the image.
        Assert.Equal(new BoundingBox(0, 0, 20, 20), fit.ToImage(BoundingBox.FromXyxy(-5, 10, 10, 35)));
        var stretch = new Letterbox(200, 100, 100, InputFit.Stretch);
        Assert.Equal((0, 0), (stretch.Left, stretch.Top));
        Assert.Equal(new BoundingBox(20, 30, 80, 30), stretch.ToImage(BoundingBox.FromXyxy(10, 30, 50, 60)));
    }

    [Fact]
    public void TheLetterboxedInputIsTheImageOnBlack()
    {
        var rng = new Random(4);
        var values = new float[1 * 30 * 60 * 3];
        for (int i = 0; i < values.Length; i++) values[i] = 1 + rng.Next(255);
        using var image = Tensor.FromArray(values, 1, 30, 60, 3);
        var fit = new Letterbox(60, 30, 60);
        using var input = fit.Apply(image);
        Assert.Equal(new Shape(1, 60, 60, 3), input.Shape);
        var x = input.ToArray<float>();
        // Scale 1: rows 15..44 hold the image unchanged, the 15 rows above and below are black.
        for (int row = 0; row < 60; row++)
            for (int i = 0; i < 60 * 3; i++)
            {
                float expected = row is >= 15 and < 45 ? values[(row - 15) * 180 + i] : 0f;
                Assert.Equal(expected, x[row * 180 + i]);
            }
    }

    [Fact]
    public void CenterNetRowsAreThresholdedFilteredAndMappedBack()
    {
        float[] rows =
        [
            10, 30, 50, 60, 0.9f, 16, // a dog
            12, 32, 52, 62, 0.8f, 16, // the same dog again: suppressed
            12, 32, 52, 62, 0.7f, 15, // a cat in the same place: another class, kept
            0, 0, 10, 10, 0.2f, 0, // below the threshold
            0, 0, 10, 10, float.NaN, 0, // not a number
            0, 0, 10, 10, 0.95f, 80, // no such class
            0, 0, 10, 10, 0.95f, 2.5f, // not a class id
            float.NaN, 0, 10, 10, 0.95f, 1, // a box that is not a number
        ];
        var fit = new Letterbox(200, 100, 100);
        var found = CenterNetDecoder.Decode(rows, fit, new DetectionOptions(MinScore: 0.3));
        Assert.Equal(["dog", "cat"], found.Select(d => d.ClassName));
        Assert.Equal(new BoundingBox(20, 10, 80, 60), found[0].Box);
        Assert.Equal(0.9f, found[0].Score);
        var cats = CenterNetDecoder.Decode(rows, fit, new DetectionOptions(MinScore: 0.3, Classes: CocoClasses.Parse("Cat")));
        Assert.Equal(["cat"], cats.Select(d => d.ClassName));
        Assert.Single(CenterNetDecoder.Decode(rows, fit, new DetectionOptions(MinScore: 0.3, ClassAware: false)));
        Assert.Throws<ArgumentException>(() => CenterNetDecoder.Decode(rows.AsSpan(0, 7), fit, new DetectionOptions()));
    }

    // NanoDet's decoding written out directly: every (cell, class) above the threshold, boxes from the softmax
    // expectations, then greedy NMS within each class, best score first (ties: lower index first).
    private static List<(int Class, double Score, double X1, double Y1, double X2, double Y2)> NanoDetReference(
        IReadOnlyList<NanoDetLevel> levels, int inputSize, int regMax, double minScore, double iou, int max)
    {
        var all = new List<(int Class, double Score, double X1, double Y1, double X2, double Y2)>();
        foreach (var level in levels)
        {
            int grid = inputSize / level.Stride;
            for (int cell = 0; cell < grid * grid; cell++)
            {
                var d = new double[4];
                for (int s = 0; s < 4; s++)
                {
                    var logits = level.Distributions.Skip((cell * 4 + s) * (regMax + 1)).Take(regMax + 1).Select(v => (double)v).ToArray();
                    var p = logits.Select(v => Math.Exp(v - logits.Max())).ToArray();
                    d[s] = p.Select((v, i) => v * i).Sum() / p.Sum() * level.Stride;
                }
                double cx = (cell % grid + 0.5) * level.Stride, cy = (cell / grid + 0.5) * level.Stride;
                for (int c = 0; c < 80; c++)
                    if (level.Scores[cell * 80 + c] > minScore)
                        all.Add((c, level.Scores[cell * 80 + c], Math.Clamp(cx - d[0], 0, inputSize), Math.Clamp(cy - d[1], 0, inputSize),
                            Math.Clamp(cx + d[2], 0, inputSize), Math.Clamp(cy + d[3], 0, inputSize)));
            }
        }
        static double IoU((int, double, double X1, double Y1, double X2, double Y2) a, (int, double, double X1, double Y1, double X2, double Y2) b)
        {
            double w = Math.Max(0, Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1)), h = Math.Max(0, Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1));
            double areaA = (a.X2 - a.X1) * (a.Y2 - a.Y1), areaB = (b.X2 - b.X1) * (b.Y2 - b.Y1);
            return areaA <= 0 || areaB <= 0 ? 0 : w * h / (areaA + areaB - w * h);
        }
        var order = all.Select((a, i) => (a, i)).OrderByDescending(t => t.a.Score).ThenBy(t => t.i).Select(t => t.a).ToList();
        var kept = new List<(int Class, double Score, double X1, double Y1, double X2, double Y2)>();
        foreach (var a in order)
            if (kept.Count < max && !kept.Any(k => k.Class == a.Class && IoU(k, a) > iou)) kept.Add(a);
        return kept;
    }

    [Fact]
    public void NanoDetMatchesItsAuthorsDecodingOnRandomHeads()
    {
        var rng = new Random(8);
        const int size = 64, regMax = 7;
        for (int trial = 0; trial < 10; trial++)
        {
            var levels = new[] { 8, 16, 32 }.Select(stride =>
            {
                int cells = size / stride * (size / stride);
                var scores = new float[cells * 80];
                for (int i = 0; i < scores.Length; i++) scores[i] = rng.NextDouble() < 0.01 ? 0.3f + 0.7f * rng.NextSingle() : 0.2f * rng.NextSingle();
                var dist = new float[cells * 4 * (regMax + 1)];
                for (int i = 0; i < dist.Length; i++) dist[i] = 4 * (rng.NextSingle() - 0.5f);
                return new NanoDetLevel(stride, scores, dist);
            }).ToArray();
            var fit = new Letterbox(size, size, size);
            var expected = NanoDetReference(levels, size, regMax, 0.3, 0.6, 100);
            var actual = NanoDetDecoder.Decode(levels, size, regMax, fit, new DetectionOptions(MinScore: 0.3, IoUThreshold: 0.6));
            Assert.Equal(expected.Count, actual.Count);
            Assert.True(expected.Count > 5, $"trial {trial}: only {expected.Count} detections");
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Class, actual[i].ClassId);
                Assert.Equal(expected[i].Score, actual[i].Score);
                var (x1, y1, x2, y2) = actual[i].Box.Xyxy;
                Assert.Equal(expected[i].X1, x1, 9);
                Assert.Equal(expected[i].Y1, y1, 9);
                Assert.Equal(expected[i].X2, x2, 9);
                Assert.Equal(expected[i].Y2, y2, 9);
            }
        }
    }

    [Fact]
    public void NanoDetReadsOneSharpBinAsThatManyStrides()
    {
        // One cell (row 1, col 2 of a 4x4 grid, stride 16): left 1, top 2, right 3, bottom 0 bins, sharply.
        const int regMax = 7, stride = 16, size = 64;
        var scores = new float[16 * 80];
        int cell = 1 * 4 + 2;
        scores[cell * 80 + 16] = 0.8f;
        var dist = new float[16 * 4 * (regMax + 1)];
        int[] bins = [1, 2, 3, 0];
        for (int s = 0; s < 4; s++) dist[(cell * 4 + s) * (regMax + 1) + bins[s]] = 60f;
        var found = NanoDetDecoder.Decode([new NanoDetLevel(stride, scores, dist)], size, regMax, new Letterbox(size, size, size), new DetectionOptions());
        var dog = Assert.Single(found);
        Assert.Equal("dog", dog.ClassName);
        var (x1, y1, x2, y2) = dog.Box.Xyxy;
        // Centre (2.5, 1.5) x 16 = (40, 24).
        Assert.Equal(24.0, x1, 6); // 40 - 16
        Assert.Equal(0.0, y1, 6); // 24 - 32 clipped to 0
        Assert.Equal(64.0, x2, 6); // 40 + 48 clipped to 64
        Assert.Equal(24.0, y2, 6);
    }

    [Fact]
    public void NanoDetRefusesLevelsOfTheWrongSize()
    {
        var e = Assert.Throws<ArgumentException>(() => NanoDetDecoder.Decode([new NanoDetLevel(8, new float[10], new float[10])], 64, 7,
            new Letterbox(64, 64, 64), new DetectionOptions()));
        Assert.Contains("64 cells", e.Message);
    }

    [Theory]
    [InlineData("person,car", new[] { 0, 2 })]
    [InlineData(" Dog , TRAFFIC LIGHT", new[] { 16, 9 })]
    public void ClassNamesAreParsed(string text, int[] ids) => Assert.Equal(ids.Order(), CocoClasses.Parse(text).Order());

    [Fact]
    public void AnUnknownClassNameListsTheKnownOnes()
    {
        var e = Assert.Throws<FormatException>(() => CocoClasses.Parse("person,unicorn"));
        Assert.Contains("'unicorn' is not a COCO class", e.Message);
        Assert.Contains("toothbrush", e.Message);
        Assert.Throws<FormatException>(() => CocoClasses.Parse(" , "));
    }

    [Fact]
    public void OptionsOutOfRangeAreNamed()
    {
        Assert.Contains("MinScore", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions(MinScore: 1.5).Validate()).ParamName);
        Assert.Contains("MaxDetections", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions(MaxDetections: 0).Validate()).ParamName);
        Assert.Contains("IoUThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionOptions(IoUThreshold: double.NaN).Validate()).ParamName);
    }
}
