using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Faces;

/// <summary>The 68 landmark points of one face (iBUG 300-W layout), in image pixels.</summary>
public sealed class FaceLandmarks
{
    /// <summary>The named groups of the 68-point layout: first index and count; closed groups form a loop.</summary>
    public static IReadOnlyList<(string Name, int Start, int Count, bool Closed)> Groups { get; } =
    [
        ("jaw", 0, 17, false), ("left brow", 17, 5, false), ("right brow", 22, 5, false), ("nose bridge", 27, 4, false),
        ("nose", 31, 5, false), ("left eye", 36, 6, true), ("right eye", 42, 6, true), ("outer lips", 48, 12, true), ("inner lips", 60, 8, true),
    ];

    private readonly Point2D[] _points;

    internal FaceLandmarks(Point2D[] points, int cropWidth, int cropHeight)
    {
        if (points.Length != 68) throw new ArgumentException($"Expected 68 landmark points, got {points.Length}.", nameof(points));
        _points = points;
        CropWidth = cropWidth;
        CropHeight = cropHeight;
    }

    /// <summary>All 68 points in image pixels.</summary>
    public IReadOnlyList<Point2D> Points => _points;

    // face-api keeps the size of the crop the landmarks were found in; its dlib-style alignment uses it.
    internal int CropWidth { get; }
    internal int CropHeight { get; }

    /// <summary>Centre of the left eye (points 36-41; the eye on the image's left).</summary>
    public Point2D LeftEye => Point2D.Centre(_points.AsSpan(36, 6));

    /// <summary>Centre of the right eye (points 42-47).</summary>
    public Point2D RightEye => Point2D.Centre(_points.AsSpan(42, 6));

    /// <summary>Centre of the mouth (points 48-67).</summary>
    public Point2D Mouth => Point2D.Centre(_points.AsSpan(48, 20));

    /// <summary>The roll angle of the eye line in degrees (positive: the right eye is lower).</summary>
    public double EyeLineAngle => Math.Atan2(RightEye.Y - LeftEye.Y, RightEye.X - LeftEye.X) * 180 / Math.PI;

    /// <summary>face-api's alignMinBbox: the points' bounding box grown by 20 % of its size.</summary>
    internal BoundingBox MinBoxAligned(double padding = 0.2)
    {
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = 0, maxY = 0;
        foreach (var p in _points)
        {
            if (p.X < minX) minX = p.X;
            if (p.Y < minY) minY = p.Y;
            if (maxX < p.X) maxX = p.X;
            if (maxY < p.Y) maxY = p.Y;
        }
        var box = BoundingBox.FromBounds(minX, minY, maxX, maxY);
        return box.Pad(box.Width * padding, box.Height * padding);
    }

    /// <summary>
    /// face-api's alignDlib: a square whose side is the mean eye-to-mouth distance / 0.45, placed so the
    /// centre of eyes and mouth sits at (0.5, 0.43) of it. This is the chip the recognition net sees.
    /// </summary>
    internal BoundingBox DlibSquare(out Point2D reference, out int size)
    {
        Point2D left = LeftEye, right = RightEye, mouth = Mouth;
        double eyeToMouth = (mouth.Sub(left).Magnitude() + mouth.Sub(right).Magnitude()) / 2;
        size = (int)Math.Floor(eyeToMouth / 0.45);
        reference = Point2D.Centre([left, right, mouth]);
        double x = Math.Floor(Math.Max(0, reference.X - 0.5 * size));
        double y = Math.Floor(Math.Max(0, reference.Y - 0.43 * size));
        return new BoundingBox(x, y, Math.Min(size, CropWidth + x), Math.Min(size, CropHeight + y));
    }
}
