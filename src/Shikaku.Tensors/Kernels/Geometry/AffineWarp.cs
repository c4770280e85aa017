using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>Which way the 2x3 matrix of <c>AffineWarp.Apply</c> maps.</summary>
public enum AffineDirection
{
    /// <summary>The matrix takes an output pixel to its source position (OpenCV's WARP_INVERSE_MAP).</summary>
    OutputToInput,
    /// <summary>The matrix takes a source pixel to its output position; it is inverted first.</summary>
    InputToOutput,
}

/// <summary>
/// Affine warp of NHWC images, bilinear; outside the image it reads by <see cref="BorderMode"/>
/// (<see cref="BorderMode.Zero"/> reads the constant borderValue, 0 unless given). Coordinates are pixel indices: pixel (x, y) has its centre at
/// (x, y), as in OpenCV's warpAffine. The matrix [a, b, c, d, e, f] maps (x, y) to
/// (a x + b y + c, d x + e y + f).
/// </summary>
/// <example><code>
/// // Rotate 10 degrees about the centre of a 28x28 image, outside black:
/// using var rotated = AffineWarp.Apply(images, AffineWarp.Rotation(10, 13.5, 13.5, 0, 0), 28, 28);
/// </code></example>
public static class AffineWarp
{
    /// <summary>
    /// Warps every image of [N, H, W, C] into [N, height, width, C] through <paramref name="matrix"/>
    /// (6 numbers, row-major 2x3; see <paramref name="direction"/>).
    /// </summary>
    public static Tensor Apply(Tensor input, ReadOnlySpan<double> matrix, int height, int width,
        AffineDirection direction = AffineDirection.OutputToInput, BorderMode border = BorderMode.Zero, float borderValue = 0f)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"AffineWarp needs NHWC input, got {input.Shape}.", nameof(input));
        if (height < 1 || width < 1) throw new ArgumentException($"Target size {width}x{height} must be at least 1x1.");
        var output = Tensor.Uninitialized(new Shape(input.Shape[0], height, width, input.Shape[3]));
        Apply<float>(input.Span, input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3], matrix, output.Span, height, width, direction, border, borderValue);
        return output;
    }

    /// <summary>
    /// The span form of <see cref="Apply(Tensor, ReadOnlySpan{double}, int, int, AffineDirection, BorderMode, float)"/>: n images
    /// h x w x c into n images height x width x c. The input may be float32 or bytes (an image's own pixels, so that a
    /// crop of a large photo needs no float copy of all of it); either way the arithmetic is float32.
    /// </summary>
    public static unsafe void Apply<T>(ReadOnlySpan<T> input, int n, int h, int w, int c, ReadOnlySpan<double> matrix, Span<float> output, int height, int width,
        AffineDirection direction = AffineDirection.OutputToInput, BorderMode border = BorderMode.Zero, float borderValue = 0f)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        if (matrix.Length != 6) throw new ArgumentException($"An affine matrix has 6 numbers (2x3, row-major), not {matrix.Length}.", nameof(matrix));
        if (n < 0 || h < 1 || w < 1 || c < 1) throw new ArgumentException($"Image size {n}x{h}x{w}x{c} must be positive.");
        if (input.Length != (long)n * h * w * c) throw new ArgumentException($"Input holds {input.Length} values, not {n}x{h}x{w}x{c}.", nameof(input));
        if (output.Length != (long)n * height * width * c) throw new ArgumentException($"Output holds {output.Length} values, not {n}x{height}x{width}x{c}.", nameof(output));
        var m = new double[6];
        matrix.CopyTo(m);
        if (direction == AffineDirection.InputToOutput) Invert(m);
        fixed (T* inputStart = input)
        fixed (float* outputStart = output)
        {
            // Rows of every image in parallel when there are enough pixels to pay for it (a 192x192 crop is).
            nint source = (nint)inputStart, target = (nint)outputStart;
            int imageIn = h * w * c, imageOut = height * width * c;
            void Rows(int first, int last)
            {
                for (int row = first; row < last; row++)
                {
                    int b = row / height, y = row % height;
                    var src = new ReadOnlySpan<T>((T*)source + (long)b * imageIn, imageIn);
                    var dst = new Span<float>((float*)target + (long)b * imageOut + (long)y * width * c, width * c);
                    WarpRow(src, h, w, c, m, y, dst, width, border, borderValue);
                }
            }
            if ((long)n * height * width >= 16_384) Engine.ParallelFor(n * height, Rows);
            else Rows(0, n * height);
        }
    }

    // One output row: source position stepped along the row; interior pixels read their four taps directly.
    private static void WarpRow<T>(ReadOnlySpan<T> src, int h, int w, int c, double[] m, int y, Span<float> dst, int width, BorderMode border, float borderValue)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        for (int x = 0; x < width; x++)
        {
            double sx = m[0] * x + m[1] * y + m[2], sy = m[3] * x + m[4] * y + m[5];
            int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
            float fx = (float)(sx - x0), fy = (float)(sy - y0);
            int o = x * c;
            if ((uint)x0 < (uint)(w - 1) && (uint)y0 < (uint)(h - 1))
            {
                // All four taps inside the image (most pixels): no border to resolve.
                int p00 = (y0 * w + x0) * c, p10 = p00 + w * c;
                for (int ch = 0; ch < c; ch++)
                {
                    float top = F(src[p00 + ch]) * (1 - fx) + F(src[p00 + c + ch]) * fx;
                    float bottom = F(src[p10 + ch]) * (1 - fx) + F(src[p10 + c + ch]) * fx;
                    dst[o + ch] = top * (1 - fy) + bottom * fy;
                }
                continue;
            }
            // The four taps, resolved once per pixel for every channel (-1: the border's constant).
            int q00 = Tap(h, w, c, y0, x0, border), q01 = Tap(h, w, c, y0, x0 + 1, border);
            int q10 = Tap(h, w, c, y0 + 1, x0, border), q11 = Tap(h, w, c, y0 + 1, x0 + 1, border);
            for (int ch = 0; ch < c; ch++)
            {
                float top = At(src, q00, ch, borderValue) * (1 - fx) + At(src, q01, ch, borderValue) * fx;
                float bottom = At(src, q10, ch, borderValue) * (1 - fx) + At(src, q11, ch, borderValue) * fx;
                dst[o + ch] = top * (1 - fy) + bottom * fy;
            }
        }
    }

    private static float F<T>(T value) where T : unmanaged, System.Numerics.INumberBase<T> => float.CreateTruncating(value);

    // Where pixel (y, x) starts in the image, after Border.Map for positions outside it; -1 reads the constant
    // (BorderMode.Zero reads borderValue).
    private static int Tap(int h, int w, int c, int y, int x, BorderMode border)
    {
        if ((uint)y < (uint)h && (uint)x < (uint)w) return (y * w + x) * c;
        int yy = Border.Map(y, h, border), xx = Border.Map(x, w, border);
        return yy < 0 || xx < 0 ? -1 : (yy * w + xx) * c;
    }

    private static float At<T>(ReadOnlySpan<T> src, int tap, int ch, float value) where T : unmanaged, System.Numerics.INumberBase<T> =>
        tap < 0 ? value : F(src[tap + ch]);

    /// <summary>Inverts a 2x3 affine matrix in place.</summary>
    public static void Invert(Span<double> m)
    {
        if (m.Length != 6) throw new ArgumentException($"An affine matrix has 6 numbers, not {m.Length}.", nameof(m));
        double det = m[0] * m[4] - m[1] * m[3];
        if (det == 0 || !double.IsFinite(det)) throw new ArgumentException("The affine matrix is singular (its 2x2 part has determinant 0) and cannot be inverted.", nameof(m));
        double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
        double c = -(a * m[2] + b * m[5]), f = -(d * m[2] + e * m[5]);
        m[0] = a; m[1] = b; m[2] = c; m[3] = d; m[4] = e; m[5] = f;
    }

    /// <summary>
    /// The output-to-input matrix of a rotation by <paramref name="degrees"/> (counter-clockwise on screen
    /// for positive angles with y down: the source is turned the other way) about (<paramref name="cx"/>,
    /// <paramref name="cy"/>), after which the content moves by (<paramref name="dx"/>, <paramref name="dy"/>).
    /// </summary>
    public static double[] Rotation(double degrees, double cx, double cy, double dx, double dy)
    {
        double angle = degrees * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle);
        // source = R^T (output - centre - shift) + centre, with R the rotation by the angle.
        return [cos, sin, cx - cos * (cx + dx) - sin * (cy + dy), -sin, cos, cy + sin * (cx + dx) - cos * (cy + dy)];
    }
}
