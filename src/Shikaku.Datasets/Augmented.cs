using Shikaku.Tensors;

namespace Shikaku.Datasets;

/// <summary>
/// Random small shifts and rotations of each training image, drawn afresh every time a batch is
/// made (so every epoch sees new variants). Pixels that come from outside the image are 0 (background).
/// </summary>
/// <example><code>model.Fit(new Augmented(train, maxShift: 2, maxDegrees: 10), epochs: 10)</code></example>
public sealed class Augmented(ILabelledData inner, int maxShift = 2, double maxDegrees = 10, int seed = 0) : ILabelledData
{
    private readonly Random _rng = new(seed);

    /// <inheritdoc/>
    public int Count => inner.Count;
    /// <inheritdoc/>
    public Shape ExampleShape => inner.ExampleShape;

    /// <inheritdoc/>
    public (Tensor Inputs, int[] Labels) Batch(ReadOnlySpan<int> indices)
    {
        var (x, labels) = inner.Batch(indices);
        int h = ExampleShape[0], w = ExampleShape[1], c = ExampleShape.Rank > 2 ? ExampleShape[2] : 1, size = h * w * c;
        var source = new float[size];
        var span = x.Span;
        for (int b = 0; b < indices.Length; b++)
        {
            var image = span.Slice(b * size, size);
            image.CopyTo(source);
            double angle = (_rng.NextDouble() * 2 - 1) * maxDegrees * Math.PI / 180;
            double dx = _rng.Next(-maxShift, maxShift + 1), dy = _rng.Next(-maxShift, maxShift + 1);
            double cos = Math.Cos(angle), sin = Math.Sin(angle), cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
            for (int y = 0; y < h; y++)
                for (int xo = 0; xo < w; xo++)
                {
                    // Inverse map: output pixel -> source position (rotate about the centre, then shift).
                    double u = xo - cx - dx, v = y - cy - dy;
                    double sx = cos * u + sin * v + cx, sy = -sin * u + cos * v + cy;
                    int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                    float fx = (float)(sx - x0), fy = (float)(sy - y0);
                    for (int ch = 0; ch < c; ch++)
                    {
                        float Sample(int yy, int xx) => (uint)yy < (uint)h && (uint)xx < (uint)w ? source[(yy * w + xx) * c + ch] : 0f;
                        float top = Sample(y0, x0) * (1 - fx) + Sample(y0, x0 + 1) * fx;
                        float bottom = Sample(y0 + 1, x0) * (1 - fx) + Sample(y0 + 1, x0 + 1) * fx;
                        image[(y * w + xo) * c + ch] = top * (1 - fy) + bottom * fy;
                    }
                }
        }
        return (x, labels);
    }
}
