using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Faces;

/// <summary>
/// A detected face: its score and its box relative to the image (0..1), as face-api.js keeps it;
/// <see cref="Box"/> is in pixels.
/// </summary>
public sealed class FaceDetection
{
    internal FaceDetection(double score, BoundingBox relativeBox, int imageWidth, int imageHeight)
    {
        Score = score;
        RelativeBox = relativeBox;
        ImageWidth = imageWidth;
        ImageHeight = imageHeight;
        Box = relativeBox.Rescale(imageWidth, imageHeight);
    }

    /// <summary>The detector's confidence, 0..1.</summary>
    public double Score { get; }

    /// <summary>The box in fractions of the image's width and height.</summary>
    public BoundingBox RelativeBox { get; }

    /// <summary>The box in pixels.</summary>
    public BoundingBox Box { get; }

    /// <summary>Width of the image the face was found in.</summary>
    public int ImageWidth { get; }

    /// <summary>Height of the image the face was found in.</summary>
    public int ImageHeight { get; }

    /// <summary>The face as a detection of class 0, "face", for <see cref="DetectionResults"/> and <see cref="BoxAnnotator"/>.</summary>
    public DetectedObject ToDetectedObject() => new(0, "face", Score, Box);

    /// <summary>Box back to fractions through 1/width, 1/height, as face-api's relativeBox getter computes it.</summary>
    internal BoundingBox RelativeFromBox() => Box.Rescale(1.0 / ImageWidth, 1.0 / ImageHeight);

    /// <summary>face-api's FaceDetection.forSize: two round trips through an ObjectDetection.</summary>
    internal FaceDetection ForSize(int width, int height)
    {
        var intermediate = new FaceDetection(Score, RelativeFromBox(), width, height);
        return new FaceDetection(Score, intermediate.RelativeFromBox(), width, height);
    }

    /// <summary>The integer region face-api slices from the image for this detection.</summary>
    public BoundingBox CropRegion() => ForSize(ImageWidth, ImageHeight).Box.ClipAtImageBorders(ImageWidth, ImageHeight);
}
