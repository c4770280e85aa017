using System.Text.Json;
using Shikaku.Models.FaceApi;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;

namespace Shikaku.Tests;

/// <summary>
/// The shared detection layer against the face-api.js ports it replaced (written out here as references,
/// step by step as face-api.js does them): the same boxes and scores, bit for bit.
/// </summary>
public sealed class DetectionTests
{
    // ssdMobilenetv1/nonMaxSuppression.ts, as FaceAnalyzer had it: greedy, stable descending sort.
    private static List<int> FaceApiSsdNms(float[] boxes, float[] scores, int maxOutput, double iouThreshold, double scoreThreshold)
    {
        // Each box as its [low, high] extent on an axis (corners may come in either order).
        static double IoU(float[] b, int i, int j)
        {
            (double Lo, double Hi) Extent(int box, int axis)
            {
                double p = b[box * 4 + axis], q = b[box * 4 + axis + 2];
                return (Math.Min(p, q), Math.Max(p, q));
            }
            static double Length((double Lo, double Hi) e) => e.Hi - e.Lo;
            static double Overlap((double Lo, double Hi) e, (double Lo, double Hi) f) => Math.Max(Math.Min(e.Hi, f.Hi) - Math.Max(e.Lo, f.Lo), 0.0);
            var (yi, xi, yj, xj) = (Extent(i, 0), Extent(i, 1), Extent(j, 0), Extent(j, 1));
            double areaI = Length(yi) * Length(xi), areaJ = Length(yj) * Length(xj);
            if (areaI <= 0 || areaJ <= 0) return 0.0;
            double inter = Overlap(yi, yj) * Overlap(xi, xj);
            return inter / (areaI + areaJ - inter);
        }
        var candidates = Enumerable.Range(0, scores.Length).Where(i => scores[i] > scoreThreshold).OrderByDescending(i => scores[i]).ToList();
        var selected = new List<int>();
        int limit = Math.Min(maxOutput, scores.Length);
        foreach (int c in candidates)
        {
            if (selected.Count >= limit) break;
            double score = scores[c], original = score;
            for (int j = selected.Count - 1; j >= 0; j--)
            {
                double iou = IoU(boxes, c, selected[j]);
                if (iou == 0.0) continue;
                score *= iou <= iouThreshold ? 1 : 0;
                if (score <= scoreThreshold) break;
            }
            if (original == score) selected.Add(c);
        }
        return selected;
    }

    // The tiny detector's decoding and ops/nonMaxSuppression.ts, as FaceAnalyzer had them.
    private static List<(double Score, BoundingBox Box)> FaceApiTiny(float[] v, int cells, int width, int height, int inputSize, double minScore)
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var (rw, rh) = NetInput.ReshapedDimensions(width, height, inputSize);
        double size = Math.Max(rw, rh), corrX = size / rw, corrY = size / rh;
        var boxes = new List<BoundingBox>();
        var scores = new List<double>();
        var anchors = TinyFaceDetector.Anchors;
        // One flat walk over (row, col, anchor), the order of the net's output.
        for (int k = 0; k < cells * cells * anchors.Count; k++)
        {
            int a = k % anchors.Count, row = k / anchors.Count / cells, col = k / anchors.Count % cells, o = k * 5;
            double score = Sigmoid(v[o + 4]);
            if (!(score > minScore)) continue;
            double ctX = (col + Sigmoid(v[o])) / cells * corrX, ctY = (row + Sigmoid(v[o + 1])) / cells * corrY;
            double w = Math.Exp(v[o + 2]) * anchors[a].X / cells * corrX, h = Math.Exp(v[o + 3]) * anchors[a].Y / cells * corrY;
            double x = ctX - w / 2, y = ctY - h / 2;
            boxes.Add(new BoundingBox(x, y, x + w - x, y + h - y));
            scores.Add(score);
        }
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToList();
        var result = new List<(double, BoundingBox)>();
        while (order.Count > 0)
        {
            int current = order[^1];
            order.RemoveAt(order.Count - 1);
            var currentBox = boxes[current].Scale(inputSize, inputSize);
            order = order.Where(i => currentBox.IoU(boxes[i].Scale(inputSize, inputSize)) <= 0.4).ToList();
            result.Add((scores[current], boxes[current]));
        }
        return result;
    }

    private static List<(double Score, BoundingBox Box)> FaceApiSsd(SsdOutput output, int width, int height, int maxFaces, double minScore)
    {
        var (rw, rh) = NetInput.ReshapedDimensions(width, height, SsdMobilenetV1.InputSize);
        double padX = (double)SsdMobilenetV1.InputSize / rw, padY = (double)SsdMobilenetV1.InputSize / rh;
        var b = output.Boxes;
        return FaceApiSsdNms(b, output.Scores, maxFaces, 0.5, minScore).Select(i =>
        {
            double top = Math.Max(0, (double)b[i * 4]) * padY, bottom = Math.Min(1.0, (double)b[i * 4 + 2]) * padY;
            double left = Math.Max(0, (double)b[i * 4 + 1]) * padX, right = Math.Min(1.0, (double)b[i * 4 + 3]) * padX;
            return ((double)output.Scores[i], new BoundingBox(left, top, right - left, bottom - top));
        }).ToList();
    }

    private static void AssertSame(List<(double Score, BoundingBox Box)> expected, List<DetectedObject> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Score, actual[i].Score); // exact
            Assert.Equal(expected[i].Box, actual[i].Box);
        }
    }

    [Fact]
    public void SsdDecodingIsFaceApisGreedyNmsBitForBitOnRandomPriors()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = rng.Next(1, 400);
            var boxes = new float[n * 4];
            var scores = new float[n];
            for (int i = 0; i < n; i++)
            {
                float y = (float)rng.NextDouble(), x = (float)rng.NextDouble(), s = (float)rng.NextDouble() * 0.3f;
                boxes[4 * i] = y - s; boxes[4 * i + 1] = x - s; boxes[4 * i + 2] = y + s; boxes[4 * i + 3] = x + s * (float)rng.NextDouble() * 2;
                scores[i] = MathF.Round((float)rng.NextDouble(), 2); // equal scores happen
            }
            var output = new SsdOutput(boxes, scores);
            int width = rng.Next(50, 900), height = rng.Next(50, 900), max = rng.Next(1, 120);
            double minScore = rng.NextDouble() * 0.7;
            AssertSame(FaceApiSsd(output, width, height, max, minScore), SsdDecoder.Decode(output, width, height, SsdMobilenetV1.InputSize, minScore, max));
        }
    }

    [Fact]
    public void TinyDecodingIsFaceApisBitForBitOnRandomGrids()
    {
        var rng = new Random(12);
        for (int trial = 0; trial < 20; trial++)
        {
            int cells = rng.Next(1, 14), inputSize = cells * 32, width = rng.Next(40, 900), height = rng.Next(40, 900);
            var grid = new float[cells * cells * 25];
            for (int i = 0; i < grid.Length; i++) grid[i] = (float)(rng.NextDouble() * 4 - 2);
            // Saturated scores: sigmoid(40) == 1.0 exactly, so equal scores happen and the tie order is tested.
            for (int k = 0; k < 5; k++) grid[rng.Next(cells * cells * 5) * 5 + 4] = 40;
            double minScore = rng.NextDouble() * 0.8;
            AssertSame(FaceApiTiny(grid, cells, width, height, inputSize, minScore),
                TinyYoloDecoder.Decode(grid, cells, TinyFaceDetector.Anchors, width, height, inputSize, minScore));
        }
    }

    [Theory]
    [InlineData("sample1")]
    [InlineData("sample2")]
    [InlineData("sample3")]
    [InlineData("sample4")]
    [InlineData("sample5")]
    [InlineData("sample6")]
    public void BothFaceDetectorsDecodeTheNetworksOutputsAsFaceApiDoes(string photo)
    {
        var image = FaceApiGolden.Photo(photo);
        using var pixels = image.ToRgb().ToTensor();
        using (var ssd = new SsdMobilenetV1(FaceApiModels.LoadWeights(FaceApiModel.SsdMobilenetV1)))
        {
            var output = ssd.Forward(pixels);
            foreach (double minScore in new[] { 0.1, 0.5 })
                AssertSame(FaceApiSsd(output, image.Width, image.Height, 100, minScore), SsdDecoder.Decode(output, image.Width, image.Height, SsdMobilenetV1.InputSize, minScore, 100));
        }
        using var tiny = new TinyFaceDetector(FaceApiModels.LoadWeights(FaceApiModel.TinyFaceDetector));
        foreach (int inputSize in new[] { 416, 608 })
        {
            using var grid = tiny.Forward(pixels, inputSize);
            var values = grid.ToArray();
            foreach (double minScore in new[] { 0.1, 0.5 })
                AssertSame(FaceApiTiny(values, grid.Shape[1], image.Width, image.Height, inputSize, minScore),
                    TinyYoloDecoder.Decode(values, grid.Shape[1], TinyFaceDetector.Anchors, image.Width, image.Height, inputSize, minScore));
        }
    }

    [Fact]
    public void BoundingBoxConvertsBetweenXyxyXywhAndNormalized()
    {
        var box = BoundingBox.FromXyxy(10, 20, 110, 220);
        Assert.Equal(new BoundingBox(10, 20, 100, 200), box);
        Assert.Equal((60.0, 120.0, 100.0, 200.0), box.Xywh);
        Assert.Equal(box, BoundingBox.FromXywh(60, 120, 100, 200));
        var n = box.Normalize(200, 400);
        Assert.Equal((0.05, 0.05, 0.55, 0.55), n.Xyxy);
        Assert.Equal(box, n.Denormalize(200, 400));
        Assert.Equal(BoundingBox.FromXyxy(10, 20, 50, 60), box.Clamp(50, 60));
        Assert.Equal(new BoundingBox(50, 60, 0, 0), new BoundingBox(70, 80, 5, 5).Clamp(50, 60));
        // IoU of two 2x2 squares sharing a 1x2 strip: 2 / (4 + 4 - 2).
        Assert.Equal(1.0 / 3, new BoundingBox(0, 0, 2, 2).IoU(new BoundingBox(1, 0, 2, 2)), 15);
        Assert.Equal(0, new BoundingBox(0, 0, 1, 1).IoU(new BoundingBox(5, 5, 1, 1)));
        Assert.Equal("10,20 100x200", box.ToString());
    }

    [Fact]
    public void ResultsGiveUltralyticsBoxesJsonAndCsv()
    {
        var results = new DetectionResults(200, 100, [new DetectedObject(0, "person", 0.875, BoundingBox.FromXyxy(20, 10, 120, 60)), new DetectedObject(2, "car, red", 0.5, new BoundingBox(0, 0, 50, 50))]);
        Assert.Equal(2, results.Count);
        // A face is a detection of class 0 with its box in pixels.
        var face = new Shikaku.Vision.Faces.FaceDetection(0.9, new BoundingBox(0.25, 0.5, 0.5, 0.25), 100, 50).ToDetectedObject();
        Assert.Equal(new DetectedObject(0, "face", 0.9, new BoundingBox(25, 25, 50, 12.5)), face);
        Assert.Equal((0.1, 0.1, 0.6, 0.6), results.Xyxy(normalized: true)[0]);
        Assert.Equal((70.0, 35.0, 100.0, 50.0), results.Xywh()[0]);
        using var json = JsonDocument.Parse(results.ToJson());
        var first = json.RootElement[0];
        Assert.Equal("person", first.GetProperty("name").GetString());
        Assert.Equal(0, first.GetProperty("class").GetInt32());
        Assert.Equal(0.875, first.GetProperty("confidence").GetDouble());
        Assert.Equal(120, first.GetProperty("box").GetProperty("x2").GetDouble());
        Assert.Equal("class,name,confidence,x1,y1,x2,y2\n0,person,0.875,20,10,120,60\n2,\"car, red\",0.5,0,0,50,50\n", results.ToCsv());
    }

    [Fact]
    public void TilesCoverTheImageWithAQuarterOverlapAndMergeKeepsTheBestOfDuplicates()
    {
        var rng = new Random(13);
        for (int trial = 0; trial < 50; trial++)
        {
            int length = rng.Next(1, 3000), tile = rng.Next(4, 700), step = tile - tile / 4;
            var starts = Tiling.Starts(length, tile, step).ToList();
            Assert.Equal(0, starts[0]);
            Assert.Equal(Math.Max(0, length - tile), starts[^1]);
            for (int i = 1; i < starts.Count; i++) Assert.InRange(starts[i] - starts[i - 1], 1, step);
        }
        Assert.Empty(Tiling.Tiles(100, 80, [100, 200]));
        Assert.All(Tiling.Tiles(1000, 300, [256]), t => Assert.True(t.Width == 256 && t.Height == 256 && t.X + t.Width <= 1000 && t.Y + t.Height <= 300));
        var merged = Tiling.Merge([
            new DetectedObject(0, "face", 0.7, new BoundingBox(0, 0, 10, 10)),
            new DetectedObject(0, "face", 0.9, new BoundingBox(1, 1, 10, 10)),   // overlaps the first: it wins
            new DetectedObject(0, "face", 0.8, new BoundingBox(2, 2, 4, 4)),     // inside the winner: a cut duplicate
            new DetectedObject(1, "cat", 0.6, new BoundingBox(1, 1, 10, 10)),    // another class
            new DetectedObject(0, "face", 0.5, new BoundingBox(50, 50, 10, 10))], maxCount: 10);
        Assert.Equal([0.9, 0.6, 0.5], merged.Select(m => m.Score));
        Assert.True(Tiling.IsCut(new BoundingBox(1, 10, 20, 20), new Tile(100, 0, 256, 256), 1000, 1000));
        Assert.False(Tiling.IsCut(new BoundingBox(1, 10, 20, 20), new Tile(0, 0, 256, 256), 1000, 1000));
    }
}
