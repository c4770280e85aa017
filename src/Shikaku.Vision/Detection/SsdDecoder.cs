using Shikaku.Kernels;
using Shikaku.Models.FaceApi;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Detection;

/// <summary>
/// From SSD's decoded prior boxes to detections in an image: non-max suppression, then the boxes taken
/// from the padded square back to fractions of the image.
/// </summary>
public static class SsdDecoder
{
    /// <summary>
    /// The boxes of <paramref name="output"/> that survive greedy NMS (score above
    /// <paramref name="minScore"/>, at most <paramref name="maxCount"/>), highest score first, as boxes
    /// normalized to the <paramref name="width"/> x <paramref name="height"/> image the square was padded from.
    /// </summary>
    public static List<DetectedObject> Decode(SsdOutput output, int width, int height, int inputSize, double minScore, int maxCount,
        double iouThreshold = 0.5, int classId = 0, string className = "face")
    {
        ArgumentNullException.ThrowIfNull(output);
        // face-api's ssdMobilenetv1/nonMaxSuppression.ts is TF's greedy NMS: boxes as (ymin, xmin, ymax, xmax),
        // candidates above the score threshold, ties in index order, at most min(maxCount, priors) boxes.
        var (selected, _) = NonMaxSuppression.Select(output.Boxes, output.Scores,
            new NmsOptions(IoUThreshold: iouThreshold, ScoreThreshold: minScore, MaxOutputs: Math.Min(maxCount, output.Count)));
        var boxes = output.Boxes;
        var (rw, rh) = NetInput.ReshapedDimensions(width, height, inputSize);
        double padX = (double)inputSize / rw, padY = (double)inputSize / rh;
        var result = new List<DetectedObject>(selected.Length);
        foreach (int i in selected)
        {
            double top = Math.Max(0, (double)boxes[i * 4]) * padY, bottom = Math.Min(1.0, (double)boxes[i * 4 + 2]) * padY;
            double left = Math.Max(0, (double)boxes[i * 4 + 1]) * padX, right = Math.Min(1.0, (double)boxes[i * 4 + 3]) * padX;
            result.Add(new DetectedObject(classId, className, output.Scores[i], new BoundingBox(left, top, right - left, bottom - top)));
        }
        return result;
    }
}
