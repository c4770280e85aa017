namespace Shikaku.Vision.Faces;

/// <summary>A point in image pixels.</summary>
public readonly record struct PointD(double X, double Y)
{
    internal PointD Add(PointD p) => new(X + p.X, Y + p.Y);
    internal PointD Sub(PointD p) => new(X - p.X, Y - p.Y);
    internal PointD Mul(PointD p) => new(X * p.X, Y * p.Y);
    internal PointD Div(PointD p) => new(X / p.X, Y / p.Y);
    internal double Magnitude() => Math.Sqrt(X * X + Y * Y);

    /// <summary>The mean of the points (face-api's getCenterPoint: a running sum, then a division).</summary>
    internal static PointD Centre(ReadOnlySpan<PointD> points)
    {
        var sum = new PointD(0, 0);
        foreach (var p in points) sum = sum.Add(p);
        return sum.Div(new PointD(points.Length, points.Length));
    }
}

/// <summary>
/// A rectangle in image pixels (or, for relative boxes, in fractions of the image). The operations
/// repeat face-api.js's Box arithmetic step by step in double precision, so that boxes and the crops
/// cut from them come out the same as the reference's.
/// </summary>
public readonly record struct FaceBox(double X, double Y, double Width, double Height)
{
    /// <summary>X + Width.</summary>
    public double Right => X + Width;

    /// <summary>Y + Height.</summary>
    public double Bottom => Y + Height;

    /// <summary>Width * Height.</summary>
    public double Area => Width * Height;

    internal static FaceBox FromBounds(double left, double top, double right, double bottom) => new(left, top, right - left, bottom - top);

    internal FaceBox Rescale(double sx, double sy) => new(X * sx, Y * sy, Width * sx, Height * sy);

    internal FaceBox Floor() => new(Math.Floor(X), Math.Floor(Y), Math.Floor(Width), Math.Floor(Height));

    internal FaceBox Pad(double padX, double padY) => new(X - padX / 2, Y - padY / 2, Width + padX, Height + padY);

    /// <summary>The part inside a width x height image, floored to whole pixels (face-api's clipAtImageBorders).</summary>
    internal FaceBox ClipAtImageBorders(int imageWidth, int imageHeight)
    {
        double x = Math.Max(X, 0), y = Math.Max(Y, 0);
        double w = Math.Min(Right - x, imageWidth - x), h = Math.Min(Bottom - y, imageHeight - y);
        return new FaceBox(x, y, w, h).Floor();
    }

    /// <summary>Intersection over union with another box (0 when they do not overlap).</summary>
    public double IoU(FaceBox other)
    {
        double w = Math.Max(0.0, Math.Min(Right, other.Right) - Math.Max(X, other.X));
        double h = Math.Max(0.0, Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y));
        double inter = w * h;
        return inter / (Area + other.Area - inter);
    }

    /// <summary>"x,y wxh" rounded to 0.1 px.</summary>
    public override string ToString() => $"{X:0.#},{Y:0.#} {Width:0.#}x{Height:0.#}";
}

/// <summary>
/// A detected face: its score and its box relative to the image (0..1), as face-api.js keeps it;
/// <see cref="Box"/> is in pixels.
/// </summary>
public sealed class FaceDetection
{
    internal FaceDetection(double score, FaceBox relativeBox, int imageWidth, int imageHeight)
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
    public FaceBox RelativeBox { get; }

    /// <summary>The box in pixels.</summary>
    public FaceBox Box { get; }

    /// <summary>Width of the image the face was found in.</summary>
    public int ImageWidth { get; }

    /// <summary>Height of the image the face was found in.</summary>
    public int ImageHeight { get; }

    /// <summary>Box back to fractions through 1/width, 1/height, as face-api's relativeBox getter computes it.</summary>
    internal FaceBox RelativeFromBox() => Box.Rescale(1.0 / ImageWidth, 1.0 / ImageHeight);

    /// <summary>face-api's FaceDetection.forSize: two round trips through an ObjectDetection.</summary>
    internal FaceDetection ForSize(int width, int height)
    {
        var intermediate = new FaceDetection(Score, RelativeFromBox(), width, height);
        return new FaceDetection(Score, intermediate.RelativeFromBox(), width, height);
    }

    /// <summary>The integer region face-api slices from the image for this detection.</summary>
    internal FaceBox CropRegion() => ForSize(ImageWidth, ImageHeight).Box.ClipAtImageBorders(ImageWidth, ImageHeight);
}
