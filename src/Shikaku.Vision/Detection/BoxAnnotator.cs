using SkiaSharp;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Detection;

/// <summary>
/// Draws boxes and their labels onto a copy of an image: the one annotator of every detector (faces
/// add their landmark mesh through it).
/// </summary>
/// <example><code>
/// var drawn = BoxAnnotator.Draw(image, results.Items, (d, i) => $"{d.ClassName} {d.Score:0.00}");
/// </code></example>
public static class BoxAnnotator
{
    private static readonly Lazy<SKTypeface> Typeface = new(LoadTypeface);

    /// <summary>
    /// A new RGB image: <paramref name="image"/> with each detection's box and the label from
    /// <paramref name="label"/> (default: class name and score; a null label draws none). The input is not changed.
    /// </summary>
    public static Image Draw(Image image, IReadOnlyList<DetectedObject> detections, Func<DetectedObject, int, string?>? label = null)
    {
        ArgumentNullException.ThrowIfNull(detections);
        label ??= (d, _) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{d.ClassName} {d.Score:0.00}");
        return Draw(image, detections.Count, (canvas, i, stroke) =>
        {
            var colour = ColourOf(detections[i].ClassId);
            DrawBox(canvas, detections[i].Box, stroke, colour);
            DrawLabel(canvas, detections[i].Box, label(detections[i], i), colour, above: true);
        });
    }

    /// <summary>
    /// A colour per class id, well apart for neighbouring ids (hues a golden angle apart, bright and saturated);
    /// class 0 is the blue faces have always had.
    /// </summary>
    public static SKColor ColourOf(int classId) =>
        classId == 0 ? new SKColor(0, 160, 255) : SKColor.FromHsv((float)(200 + classId * 137.508) % 360f, 85f, 95f);

    /// <summary>Runs <paramref name="draw"/> (canvas, item index, stroke width) for each item on an RGBA canvas over a copy of the image.</summary>
    internal static Image Draw(Image image, int count, Action<SKCanvas, int, float> draw)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgb = image.ToRgb();
        int w = rgb.Width, h = rgb.Height;
        var rgba = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++)
        {
            rgba[4 * i] = rgb.Pixels[3 * i];
            rgba[4 * i + 1] = rgb.Pixels[3 * i + 1];
            rgba[4 * i + 2] = rgb.Pixels[3 * i + 2];
            rgba[4 * i + 3] = 255;
        }
        using (var bitmap = new SKBitmap())
        {
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
            var handle = System.Runtime.InteropServices.GCHandle.Alloc(rgba, System.Runtime.InteropServices.GCHandleType.Pinned);
            try
            {
                bitmap.InstallPixels(info, handle.AddrOfPinnedObject(), info.RowBytes);
                using var canvas = new SKCanvas(bitmap);
                float stroke = Math.Max(2f, Math.Max(w, h) / 640f);
                for (int i = 0; i < count; i++) draw(canvas, i, stroke);
                canvas.Flush();
            }
            finally
            {
                handle.Free();
            }
        }
        var pixels = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
        {
            pixels[3 * i] = rgba[4 * i];
            pixels[3 * i + 1] = rgba[4 * i + 1];
            pixels[3 * i + 2] = rgba[4 * i + 2];
        }
        return new Image(w, h, 3, pixels);
    }

    internal static void DrawBox(SKCanvas canvas, BoundingBox box, float stroke, SKColor? colour = null)
    {
        using var boxPaint = new SKPaint { Color = colour ?? ColourOf(0), Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        canvas.DrawRect((float)box.X, (float)box.Y, (float)box.Width, (float)box.Height, boxPaint);
    }

    /// <summary>
    /// The label's lines under the box (or above it): white on a dark band, or (with <paramref name="colour"/>) on a band of the
    /// box's colour, in black where that colour is light, so that every label stays legible.
    /// </summary>
    internal static void DrawLabel(SKCanvas canvas, BoundingBox box, string? label, SKColor? colour = null, bool above = false)
    {
        if (string.IsNullOrEmpty(label)) return;
        float size = Math.Max(14f, Math.Min(above ? 24f : 40f, (float)box.Width / 9f));
        using var font = new SKFont(Typeface.Value, size);
        bool light = colour is { } c && 0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue > 150;
        using var text = new SKPaint { Color = light ? SKColors.Black : SKColors.White, IsAntialias = true };
        using var back = new SKPaint { Color = colour?.WithAlpha(220) ?? new SKColor(0, 0, 0, 170), Style = SKPaintStyle.Fill };
        int lines = label.Count(ch => ch == '\n') + 1;
        // Above the box's top edge (as Ultralytics draws), inside it where the image has no room above.
        float y = !above ? (float)box.Bottom + size * 1.15f
            : box.Y >= lines * size * 1.25f ? (float)box.Y - (lines - 1) * size * 1.25f - size * 0.25f : (float)box.Y + size * 1.05f;
        foreach (var lineText in label.Split('\n'))
        {
            float width = font.MeasureText(lineText);
            canvas.DrawRect((float)box.X, y - size, width + size * 0.4f, size * 1.25f, back);
            canvas.DrawText(lineText, (float)box.X + size * 0.2f, y, SKTextAlign.Left, font, text);
            y += size * 1.25f;
        }
    }

    private static SKTypeface LoadTypeface()
    {
        // SkiaSharp's dependency-free Linux build has no font lookup: use a DejaVu/Liberation file when one is installed.
        string[] candidates =
        [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "C:\\Windows\\Fonts\\arial.ttf",
            "/System/Library/Fonts/Helvetica.ttc",
        ];
        foreach (var path in candidates)
            if (File.Exists(path) && SKTypeface.FromFile(path) is { } face) return face;
        return SKTypeface.Default;
    }
}
