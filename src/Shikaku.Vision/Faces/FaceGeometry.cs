using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Faces;

/// <summary>
/// The face API's first name for a <see cref="BoundingBox"/> (x, y, width, height in pixels), kept so that
/// callers written against it still compile; it converts implicitly both ways and does its arithmetic
/// through <see cref="BoundingBox"/>. New code uses <see cref="BoundingBox"/>.
/// </summary>
public readonly record struct FaceBox(double X, double Y, double Width, double Height)
{
    /// <summary>X + Width.</summary>
    public double Right => ((BoundingBox)this).Right;

    /// <summary>Y + Height.</summary>
    public double Bottom => ((BoundingBox)this).Bottom;

    /// <summary>Width * Height.</summary>
    public double Area => ((BoundingBox)this).Area;

    /// <summary>Intersection over union with another box (0 when they do not overlap).</summary>
    public double IoU(FaceBox other) => ((BoundingBox)this).IoU(other);

    /// <summary>The same box as a <see cref="BoundingBox"/>.</summary>
    public static implicit operator BoundingBox(FaceBox box) => new(box.X, box.Y, box.Width, box.Height);

    /// <summary>A <see cref="BoundingBox"/> under the face API's name.</summary>
    public static implicit operator FaceBox(BoundingBox box) => new(box.X, box.Y, box.Width, box.Height);

    /// <summary>"x,y wxh" rounded to 0.1 px.</summary>
    public override string ToString() => ((BoundingBox)this).ToString();
}

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
    internal BoundingBox CropRegion() => ForSize(ImageWidth, ImageHeight).Box.ClipAtImageBorders(ImageWidth, ImageHeight);
}
