namespace Shikaku.Vision.Geometry;

/// <summary>A point in image pixels.</summary>
/// <example><code>var middle = Point2D.Centre([a, b]);</code></example>
public readonly record struct Point2D(double X, double Y)
{
    internal Point2D Add(Point2D p) => new(X + p.X, Y + p.Y);
    internal Point2D Sub(Point2D p) => new(X - p.X, Y - p.Y);
    internal Point2D Mul(Point2D p) => new(X * p.X, Y * p.Y);
    internal Point2D Div(Point2D p) => new(X / p.X, Y / p.Y);
    internal double Magnitude() => Math.Sqrt(X * X + Y * Y);

    /// <summary>The mean of the points (face-api's getCenterPoint: a running sum, then a division).</summary>
    public static Point2D Centre(ReadOnlySpan<Point2D> points)
    {
        var sum = new Point2D(0, 0);
        foreach (var p in points) sum = sum.Add(p);
        return sum.Div(new Point2D(points.Length, points.Length));
    }
}
