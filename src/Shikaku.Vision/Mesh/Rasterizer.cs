using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Mesh;

/// <summary>
/// Fills triangles on a pixel grid with a depth buffer: for every pixel whose centre lies inside a triangle and is
/// nearer than what the pixel holds, the shader gets the pixel and the centre's barycentric weights. Screen-space
/// (affine) interpolation: exact for the orthographic texture layout, and within a fraction of a pixel for a face,
/// whose depth varies by a few percent of its distance.
/// </summary>
public sealed class Rasterizer
{
    private readonly float[] _depth;

    /// <summary>A grid of <paramref name="width"/> x <paramref name="height"/> pixels, all empty (infinitely far).</summary>
    public Rasterizer(int width, int height)
    {
        if (width < 1 || height < 1 || (long)width * height > 1L << 28)
            throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} raster is empty or larger than 268 megapixels.");
        Width = width;
        Height = height;
        _depth = new float[width * height];
        Array.Fill(_depth, float.PositiveInfinity);
    }

    /// <summary>Pixels across.</summary>
    public int Width { get; }

    /// <summary>Pixels down.</summary>
    public int Height { get; }

    /// <summary>The nearest depth drawn at each pixel (row-major), +infinity where nothing was drawn.</summary>
    public ReadOnlySpan<float> Depth => _depth;

    /// <summary>
    /// Draws <paramref name="triangles"/> (three indices each) of vertices at <paramref name="screen"/> (pixels; a
    /// pixel's centre is at +0.5) with <paramref name="depth"/> (smaller is nearer; null: no depth test). The shader
    /// gets (pixel index, triangle number, weights of its three vertices).
    /// </summary>
    public void Draw(IReadOnlyList<Point2D> screen, IReadOnlyList<double>? depth, IReadOnlyList<int> triangles, Action<int, int, double, double, double> shade)
    {
        ArgumentNullException.ThrowIfNull(screen);
        ArgumentNullException.ThrowIfNull(triangles);
        ArgumentNullException.ThrowIfNull(shade);
        for (int t = 0; t + 2 < triangles.Count; t += 3)
        {
            int ia = triangles[t], ib = triangles[t + 1], ic = triangles[t + 2];
            Point2D a = screen[ia], b = screen[ib], c = screen[ic];
            double area = (b.X - a.X) * (c.Y - a.Y) - (b.Y - a.Y) * (c.X - a.X);
            if (!(Math.Abs(area) > 1e-12) || !double.IsFinite(area)) continue;
            int x0 = Math.Max(0, (int)Math.Floor(Math.Min(a.X, Math.Min(b.X, c.X)))), x1 = Math.Min(Width - 1, (int)Math.Ceiling(Math.Max(a.X, Math.Max(b.X, c.X))));
            int y0 = Math.Max(0, (int)Math.Floor(Math.Min(a.Y, Math.Min(b.Y, c.Y)))), y1 = Math.Min(Height - 1, (int)Math.Ceiling(Math.Max(a.Y, Math.Max(b.Y, c.Y))));
            double za = depth?[ia] ?? 0, zb = depth?[ib] ?? 0, zc = depth?[ic] ?? 0;
            for (int y = y0; y <= y1; y++)
            {
                double py = y + 0.5;
                for (int x = x0; x <= x1; x++)
                {
                    double px = x + 0.5;
                    double wa = ((b.X - px) * (c.Y - py) - (b.Y - py) * (c.X - px)) / area;
                    double wb = ((c.X - px) * (a.Y - py) - (c.Y - py) * (a.X - px)) / area;
                    double wc = 1 - wa - wb;
                    if (wa < 0 || wb < 0 || wc < 0) continue;
                    int i = y * Width + x;
                    if (depth != null)
                    {
                        float z = (float)(wa * za + wb * zb + wc * zc);
                        if (!(z < _depth[i])) continue;
                        _depth[i] = z;
                    }
                    shade(i, t / 3, wa, wb, wc);
                }
            }
        }
    }
}
