using SkiaSharp;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Faces;

/// <summary>Draws boxes, the 68 landmarks with the lines of their groups, and labels onto a copy of an image.</summary>
public static class FaceAnnotator
{
    /// <summary>
    /// A new RGB image: <paramref name="image"/> with each face's box, its landmark mesh (when known)
    /// and the label from <paramref name="label"/> (null: no label). The input is not changed.
    /// </summary>
    public static Image Draw(Image image, IReadOnlyList<Face> faces, Func<Face, int, string?>? label = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(faces);
        return BoxAnnotator.Draw(image, faces.Count, (canvas, i, stroke) => DrawFace(canvas, faces[i], label?.Invoke(faces[i], i), stroke));
    }

    private static void DrawFace(SKCanvas canvas, Face face, string? label, float stroke)
    {
        BoxAnnotator.DrawBox(canvas, face.Detection.Box, stroke);
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
        BoxAnnotator.DrawLabel(canvas, face.Detection.Box, label);
    }
}
