using SkiaSharp;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Faces;

/// <summary>Draws boxes, the 68 landmarks with the lines of their groups, and labels onto a copy of an image.</summary>
public static class FaceAnnotator
{
    private static readonly Lazy<SKTypeface> Typeface = new(LoadTypeface);

    /// <summary>
    /// A new RGB image: <paramref name="image"/> with each face's box, its landmark mesh (when known)
    /// and the label from <paramref name="label"/> (null: no label). The input is not changed.
    /// </summary>
    public static Image Draw(Image image, IReadOnlyList<Face> faces, Func<Face, int, string?>? label = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(faces);
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
                for (int i = 0; i < faces.Count; i++) DrawFace(canvas, faces[i], label?.Invoke(faces[i], i), stroke);
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

    private static void DrawFace(SKCanvas canvas, Face face, string? label, float stroke)
    {
        var box = face.Detection.Box;
        using var boxPaint = new SKPaint { Color = new SKColor(0, 160, 255), Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = true };
        canvas.DrawRect((float)box.X, (float)box.Y, (float)box.Width, (float)box.Height, boxPaint);
        if (face.Landmarks is { } landmarks)
        {
            using var line = new SKPaint { Color = new SKColor(0, 255, 200, 220), Style = SKPaintStyle.Stroke, StrokeWidth = stroke * 0.6f, IsAntialias = true };
            using var dot = new SKPaint { Color = new SKColor(255, 60, 200), Style = SKPaintStyle.Fill, IsAntialias = true };
            foreach (var (_, start, count, closed) in FaceLandmarks.Groups)
            {
                using var path = new SKPath();
                path.MoveTo((float)landmarks.Points[start].X, (float)landmarks.Points[start].Y);
                for (int i = start + 1; i < start + count; i++) path.LineTo((float)landmarks.Points[i].X, (float)landmarks.Points[i].Y);
                if (closed) path.Close();
                canvas.DrawPath(path, line);
            }
            foreach (var p in landmarks.Points) canvas.DrawCircle((float)p.X, (float)p.Y, stroke * 0.8f, dot);
        }
        if (string.IsNullOrEmpty(label)) return;
        float size = Math.Max(14f, (float)box.Width / 9f);
        using var font = new SKFont(Typeface.Value, size);
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        using var back = new SKPaint { Color = new SKColor(0, 0, 0, 170), Style = SKPaintStyle.Fill };
        float y = (float)box.Bottom + size * 1.15f;
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
