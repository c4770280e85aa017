using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Mesh;

/// <summary>
/// Pictures of reconstructed faces drawn by Shikaku's own <see cref="Rasterizer"/>, at the photo's size: the mesh lit
/// over the photo, a depth map, PNCC (the canonical face's normalized coordinates as colours, as 3DDFA draws them),
/// and the lecture's three panels (photo | landmarks | reconstruction).
/// </summary>
/// <example><code>
/// var panels = MeshRender.ThreePanels(photo, meshes, reconstructions, canonical.Triangles);
/// ImageCodec.Save(panels, "out/three-panels.png");
/// </code></example>
public static class MeshRender
{
    /// <summary>
    /// Each pixel's distance from the camera in centimetres where a face covers it (the nearest face), 0 elsewhere;
    /// row-major, the photo's size.
    /// </summary>
    public static float[] Depth(IReadOnlyList<FaceReconstruction> faces, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(faces);
        var raster = new Rasterizer(width, height);
        foreach (var f in faces)
        {
            var z = f.CameraVertices().Select(c => c.Z).ToArray();
            raster.Draw(f.ImagePoints, z, f.Triangles, (_, _, _, _, _) => { });
        }
        var depth = raster.Depth.ToArray();
        for (int i = 0; i < depth.Length; i++) if (float.IsInfinity(depth[i])) depth[i] = 0;
        return depth;
    }

    /// <summary>A depth map as a grey picture: nearer is brighter, each face's range stretched over 40..255, black where no face is.</summary>
    public static Image DepthImage(float[] depth, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(depth);
        float near = float.PositiveInfinity, far = 0;
        foreach (float d in depth)
            if (d > 0)
            {
                near = Math.Min(near, d);
                far = Math.Max(far, d);
            }
        var pixels = new byte[width * height];
        if (far > 0)
        {
            float range = Math.Max(far - near, 1e-3f);
            for (int i = 0; i < pixels.Length; i++)
                if (depth[i] > 0) pixels[i] = (byte)Math.Round(255 - 215 * (depth[i] - near) / range);
        }
        return new Image(width, height, 1, pixels);
    }

    /// <summary>PNCC: every face pixel coloured by its canonical position, x, y, z each normalized to 0..255 over the canonical face, black elsewhere.</summary>
    public static Image Pncc(IReadOnlyList<FaceReconstruction> faces, float[] canonicalPositions, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentNullException.ThrowIfNull(canonicalPositions);
        int n = canonicalPositions.Length / 3;
        var colour = new double[3 * n];
        for (int axis = 0; axis < 3; axis++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int i = 0; i < n; i++) { lo = Math.Min(lo, canonicalPositions[3 * i + axis]); hi = Math.Max(hi, canonicalPositions[3 * i + axis]); }
            for (int i = 0; i < n; i++) colour[3 * i + axis] = 255 * (canonicalPositions[3 * i + axis] - lo) / (hi - lo);
        }
        var pixels = new byte[width * height * 3];
        var raster = new Rasterizer(width, height);
        foreach (var f in faces)
        {
            var tri = f.Triangles;
            raster.Draw(f.ImagePoints, f.CameraVertices().Select(c => c.Z).ToArray(), tri, (i, t, wa, wb, wc) =>
            {
                int a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
                for (int k = 0; k < 3; k++) pixels[3 * i + k] = (byte)Math.Clamp(Math.Round(wa * colour[3 * a + k] + wb * colour[3 * b + k] + wc * colour[3 * c + k]), 0, 255);
            });
        }
        return new Image(width, height, 3, pixels);
    }

    /// <summary>
    /// The meshes lit by a light beside the camera (Lambert, per-pixel normals from the vertices') in light grey over
    /// the photo, 85 % opaque: the lecture's third picture.
    /// </summary>
    public static Image Shaded(Image photo, IReadOnlyList<FaceReconstruction> faces)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(faces);
        var rgb = photo.ToRgb();
        var pixels = (byte[])rgb.Pixels.Clone();
        var raster = new Rasterizer(rgb.Width, rgb.Height);
        // Towards the light, in camera axes (x right, y down, z forward): from the camera, a little up and to the left.
        var light = new Point3D(-0.3, -0.4, -1);
        light = light.Scale(1 / light.Length());
        foreach (var f in faces)
        {
            var cam = f.CameraVertices();
            var normals = VertexNormals(cam, f.Triangles);
            var tri = f.Triangles;
            raster.Draw(f.ImagePoints, cam.Select(c => c.Z).ToArray(), tri, (i, t, wa, wb, wc) =>
            {
                var nrm = normals[tri[3 * t]].Scale(wa).Add(normals[tri[3 * t + 1]].Scale(wb)).Add(normals[tri[3 * t + 2]].Scale(wc));
                double len = nrm.Length();
                double lambert = len > 0 ? Math.Abs(nrm.Dot(light)) / len : 0;
                double shade = 255 * (0.2 + 0.8 * lambert);
                for (int k = 0; k < 3; k++)
                {
                    double tint = k == 2 ? shade : shade * 0.95;
                    pixels[3 * i + k] = (byte)Math.Clamp(Math.Round(0.15 * pixels[3 * i + k] + 0.85 * tint), 0, 255);
                }
            });
        }
        return new Image(rgb.Width, rgb.Height, 3, pixels);
    }

    /// <summary>photo | landmarks (the mesh's wireframe) | the reconstructions lit over the photo, side by side, each panel at most <paramref name="height"/> pixels high.</summary>
    public static Image ThreePanels(Image photo, IReadOnlyList<MeshFace> meshes, IReadOnlyList<FaceReconstruction> faces, IReadOnlyList<int> triangles, int height = 720)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var rgb = photo.ToRgb();
        var panels = new[] { rgb, MeshAnnotator.Draw(rgb, meshes, triangles), Shaded(rgb, faces) };
        int h = Math.Min(height, rgb.Height), w = (int)Math.Round((double)rgb.Width * h / rgb.Height);
        int gap = Math.Max(4, w / 100), total = 3 * w + 2 * gap;
        var pixels = new byte[total * h * 3];
        Array.Fill(pixels, (byte)255);
        for (int p = 0; p < 3; p++)
        {
            var scaled = h == rgb.Height ? panels[p] : panels[p].Resize(w, h);
            for (int y = 0; y < h; y++)
                Array.Copy(scaled.Pixels, y * w * 3, pixels, (y * total + p * (w + gap)) * 3, w * 3);
        }
        return new Image(total, h, 3, pixels);
    }

    /// <summary>Area-weighted vertex normals (unit length; zero for a vertex no triangle uses).</summary>
    public static Point3D[] VertexNormals(IReadOnlyList<Point3D> vertices, IReadOnlyList<int> triangles)
    {
        var normals = new Point3D[vertices.Count];
        for (int t = 0; t + 2 < triangles.Count; t += 3)
        {
            Point3D a = vertices[triangles[t]], b = vertices[triangles[t + 1]], c = vertices[triangles[t + 2]];
            var n = b.Sub(a).Cross(c.Sub(a));
            for (int k = 0; k < 3; k++) normals[triangles[t + k]] = normals[triangles[t + k]].Add(n);
        }
        for (int i = 0; i < normals.Length; i++)
        {
            double len = normals[i].Length();
            if (len > 0) normals[i] = normals[i].Scale(1 / len);
        }
        return normals;
    }
}
