namespace Shikaku.Vision.Geometry;

/// <summary>A point in space: centimetres for a face model, or camera coordinates.</summary>
/// <example><code>var tip = new Point3D(0, -0.46, 7.59);</code></example>
public readonly record struct Point3D(double X, double Y, double Z)
{
    internal Point3D Add(Point3D p) => new(X + p.X, Y + p.Y, Z + p.Z);
    internal Point3D Sub(Point3D p) => new(X - p.X, Y - p.Y, Z - p.Z);
    internal Point3D Scale(double s) => new(X * s, Y * s, Z * s);
    internal double Dot(Point3D p) => X * p.X + Y * p.Y + Z * p.Z;
    internal Point3D Cross(Point3D p) => new(Y * p.Z - Z * p.Y, Z * p.X - X * p.Z, X * p.Y - Y * p.X);
    internal double Length() => Math.Sqrt(Dot(this));
}
