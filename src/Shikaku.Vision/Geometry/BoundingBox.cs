namespace Shikaku.Vision.Geometry;

/// <summary>
/// An axis-aligned box: top-left corner, width and height, in image pixels or, for normalized boxes,
/// in fractions of the image. Every detector's boxes are of this type. The operations repeat
/// face-api.js's Box arithmetic step by step in double precision, so that face boxes and the crops cut
/// from them come out the same as the reference's.
/// </summary>
/// <example><code>
/// var box = BoundingBox.FromXyxy(10, 20, 110, 220);
/// var (cx, cy, w, h) = box.Xywh;             // (60, 120, 100, 200): centre and size, as Ultralytics' xywh
/// var normalized = box.Normalize(640, 480);  // fractions of the image (xyxyn, xywhn)
/// double overlap = box.IoU(other);
/// </code></example>
public readonly record struct BoundingBox(double X, double Y, double Width, double Height)
{
    /// <summary>X + Width.</summary>
    public double Right => X + Width;

    /// <summary>Y + Height.</summary>
    public double Bottom => Y + Height;

    /// <summary>Width * Height.</summary>
    public double Area => Width * Height;

    /// <summary>The corners (x1, y1, x2, y2).</summary>
    public (double X1, double Y1, double X2, double Y2) Xyxy => (X, Y, Right, Bottom);

    /// <summary>The centre and size (cx, cy, w, h).</summary>
    public (double CenterX, double CenterY, double Width, double Height) Xywh => (X + Width / 2, Y + Height / 2, Width, Height);

    /// <summary>The box with corners (x1, y1) and (x2, y2).</summary>
    public static BoundingBox FromXyxy(double x1, double y1, double x2, double y2) => new(x1, y1, x2 - x1, y2 - y1);

    /// <summary>The box with centre (cx, cy) and size w x h.</summary>
    public static BoundingBox FromXywh(double cx, double cy, double w, double h) => new(cx - w / 2, cy - h / 2, w, h);

    internal static BoundingBox FromBounds(double left, double top, double right, double bottom) => FromXyxy(left, top, right, bottom);

    /// <summary>The box with x and width multiplied by <paramref name="sx"/>, y and height by <paramref name="sy"/>.</summary>
    public BoundingBox Scale(double sx, double sy) => new(X * sx, Y * sy, Width * sx, Height * sy);

    /// <summary>The box in fractions of an <paramref name="imageWidth"/> x <paramref name="imageHeight"/> image.</summary>
    public BoundingBox Normalize(int imageWidth, int imageHeight) => Scale(1.0 / imageWidth, 1.0 / imageHeight);

    /// <summary>A normalized box back in pixels of an <paramref name="imageWidth"/> x <paramref name="imageHeight"/> image.</summary>
    public BoundingBox Denormalize(int imageWidth, int imageHeight) => Scale(imageWidth, imageHeight);

    /// <summary>The part inside 0..width x 0..height (an empty box at the nearest edge when outside).</summary>
    public BoundingBox Clamp(double width, double height)
    {
        double x1 = Math.Clamp(X, 0, width), y1 = Math.Clamp(Y, 0, height);
        double x2 = Math.Clamp(Right, 0, width), y2 = Math.Clamp(Bottom, 0, height);
        return new BoundingBox(x1, y1, Math.Max(0, x2 - x1), Math.Max(0, y2 - y1));
    }

    /// <summary>The box moved by (dx, dy).</summary>
    public BoundingBox Offset(double dx, double dy) => this with { X = X + dx, Y = Y + dy };

    internal BoundingBox Rescale(double sx, double sy) => Scale(sx, sy);

    internal BoundingBox Floor() => new(Math.Floor(X), Math.Floor(Y), Math.Floor(Width), Math.Floor(Height));

    internal BoundingBox Pad(double padX, double padY) => new(X - padX / 2, Y - padY / 2, Width + padX, Height + padY);

    /// <summary>The part inside a width x height image, floored to whole pixels (face-api's clipAtImageBorders).</summary>
    internal BoundingBox ClipAtImageBorders(int imageWidth, int imageHeight)
    {
        double x = Math.Max(X, 0), y = Math.Max(Y, 0);
        double w = Math.Min(Right - x, imageWidth - x), h = Math.Min(Bottom - y, imageHeight - y);
        return new BoundingBox(x, y, w, h).Floor();
    }

    /// <summary>The area the two boxes share (0 when they do not overlap).</summary>
    public double Intersection(BoundingBox other) =>
        Math.Max(0, Math.Min(Right, other.Right) - Math.Max(X, other.X)) * Math.Max(0, Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y));

    /// <summary>Intersection over union with another box (0 when they do not overlap).</summary>
    public double IoU(BoundingBox other)
    {
        double w = Math.Max(0.0, Math.Min(Right, other.Right) - Math.Max(X, other.X));
        double h = Math.Max(0.0, Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y));
        double inter = w * h;
        return inter / (Area + other.Area - inter);
    }

    /// <summary>"x,y wxh" rounded to 0.1 px.</summary>
    public override string ToString() => $"{X:0.#},{Y:0.#} {Width:0.#}x{Height:0.#}";
}
