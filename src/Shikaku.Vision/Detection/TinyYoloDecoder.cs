using Shikaku.Kernels;
using Shikaku.Models.FaceApi;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Detection;

/// <summary>
/// Decodes a Tiny-YOLOv2 grid [S, S, anchors x (x, y, w, h, score)] (face-api.js's tiny face detector):
/// sigmoid centre offsets and score, exponential sizes times the anchors, then greedy NMS.
/// </summary>
public static class TinyYoloDecoder
{
    /// <summary>
    /// The surviving boxes in suppression order, normalized to the <paramref name="width"/> x
    /// <paramref name="height"/> image that was padded to a square of <paramref name="inputSize"/>.
    /// </summary>
    public static List<DetectedObject> Decode(ReadOnlySpan<float> grid, int cells, IReadOnlyList<(double X, double Y)> anchors, int width, int height, int inputSize,
        double minScore, double iouThreshold = 0.4, int classId = 0, string className = "face")
    {
        ArgumentNullException.ThrowIfNull(anchors);
        if (grid.Length != cells * cells * anchors.Count * 5)
            throw new ArgumentException($"A {cells}x{cells} grid of {anchors.Count} anchors has {cells * cells * anchors.Count * 5} values, not {grid.Length}.", nameof(grid));
        var (rw, rh) = NetInput.ReshapedDimensions(width, height, inputSize);
        double size = Math.Max(rw, rh), corrX = size / rw, corrY = size / rh;
        var boxes = new List<BoundingBox>();
        var scores = new List<double>();
        for (int row = 0; row < cells; row++)
            for (int col = 0; col < cells; col++)
                for (int a = 0; a < anchors.Count; a++)
                {
                    int o = ((row * cells + col) * anchors.Count + a) * 5;
                    double score = Sigmoid(grid[o + 4]);
                    if (!(score > minScore)) continue;
                    double ctX = (col + Sigmoid(grid[o])) / cells * corrX;
                    double ctY = (row + Sigmoid(grid[o + 1])) / cells * corrY;
                    double w = Math.Exp(grid[o + 2]) * anchors[a].X / cells * corrX;
                    double h = Math.Exp(grid[o + 3]) * anchors[a].Y / cells * corrY;
                    double x = ctX - w / 2, y = ctY - h / 2;
                    boxes.Add(BoundingBox.FromBounds(x, y, x + w, y + h));
                    scores.Add(score);
                }
        // face-api's ops/nonMaxSuppression.ts: greedy on the boxes scaled to the input size, IoU threshold 0.4,
        // no score threshold, and equal scores taken last index first (it pops from an ascending stable sort).
        // The op takes equal scores first index first, so the boxes go in reversed.
        int n = boxes.Count;
        var corners = new double[n * 4];
        var reversedScores = new double[n];
        for (int k = 0; k < n; k++)
        {
            var b = boxes[n - 1 - k].Rescale(inputSize, inputSize);
            corners[4 * k] = b.X;
            corners[4 * k + 1] = b.Y;
            corners[4 * k + 2] = b.Right;
            corners[4 * k + 3] = b.Bottom;
            reversedScores[k] = scores[n - 1 - k];
        }
        var (selected, _) = NonMaxSuppression.Select(corners, reversedScores, new NmsOptions(IoUThreshold: iouThreshold));
        return selected.Select(k => new DetectedObject(classId, className, scores[n - 1 - k], boxes[n - 1 - k])).ToList();
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
