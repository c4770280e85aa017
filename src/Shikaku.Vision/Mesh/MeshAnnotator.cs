using SkiaSharp;
using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Mesh;

/// <summary>Draws each face's 468-point mesh as a wireframe, and its irises as rings, over a copy of an image (the lecture's landmark picture).</summary>
public static class MeshAnnotator
{
    /// <summary>
    /// A new RGB image: <paramref name="image"/> with every face's box, the mesh's triangles (<paramref name="triangles"/>:
    /// three vertex indices each, e.g. the canonical face's) and its points. The input is not changed.
    /// </summary>
    public static Image Draw(Image image, IReadOnlyList<MeshFace> faces, IReadOnlyList<int> triangles, Func<MeshFace, int, string?>? label = null)
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentNullException.ThrowIfNull(triangles);
        return BoxAnnotator.Draw(image, faces.Count, (canvas, i, stroke) =>
        {
            var face = faces[i];
            var p = face.Points;
            using var line = new SKPaint { Color = new SKColor(0, 255, 200, 170), Style = SKPaintStyle.Stroke, StrokeWidth = Math.Max(1f, stroke * 0.35f), IsAntialias = true };
            using var path = new SKPath();
            for (int t = 0; t + 2 < triangles.Count; t += 3)
            {
                Point3D a = p[triangles[t]], b = p[triangles[t + 1]], c = p[triangles[t + 2]];
                path.MoveTo((float)a.X, (float)a.Y);
                path.LineTo((float)b.X, (float)b.Y);
                path.LineTo((float)c.X, (float)c.Y);
                path.Close();
            }
            canvas.DrawPath(path, line);
            if (face.Iris is { Count: 10 } iris)
            {
                using var ring = new SKPaint { Color = new SKColor(255, 60, 200), Style = SKPaintStyle.Stroke, StrokeWidth = Math.Max(1f, stroke * 0.5f), IsAntialias = true };
                foreach (var side in new[] { EyeSide.Right, EyeSide.Left })
                {
                    var centre = iris[side == EyeSide.Right ? 0 : 5];
                    canvas.DrawCircle((float)centre.X, (float)centre.Y, (float)face.IrisRadius(side)!.Value, ring);
                }
            }
            BoxAnnotator.DrawBox(canvas, face.Box, stroke);
            BoxAnnotator.DrawLabel(canvas, face.Box, label?.Invoke(face, i));
        });
    }
}
