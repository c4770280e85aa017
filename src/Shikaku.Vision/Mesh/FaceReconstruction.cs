using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Mesh;

/// <summary>
/// A face reconstructed in 3-D from one photo (lecture 8-6, after 3DDFA: detect, find the landmarks, deform a prepared
/// 3-D face to fit): the canonical face's topology (468 vertices, its triangles and texture coordinates) with
/// vertices in centimetres in the face's own frame (x to the image's right, y up, z towards the camera when the face
/// is frontal), the head pose that places it in front of the camera, and where each vertex lies in the photo.
/// </summary>
/// <param name="Vertices">The face's vertices in its own frame, centimetres.</param>
/// <param name="ImagePoints">Where each vertex lies in the photo, pixels.</param>
/// <param name="Pose">The head pose: model frame to camera frame.</param>
/// <param name="Camera">The pinhole camera assumed for the photo.</param>
/// <param name="Triangles">Three vertex indices per triangle (the canonical face's).</param>
/// <param name="TextureCoordinates">u, v per vertex in [0, 1], v down (the canonical face's layout).</param>
/// <param name="Source">What the landmarks came from: "facemesh" (468 points) or "face-api.js 68".</param>
/// <param name="ReprojectionError">RMS pixels between the landmarks and the reconstruction's projection of them.</param>
public sealed record FaceReconstruction(Point3D[] Vertices, Point2D[] ImagePoints, HeadPose Pose, PinholeCamera Camera, int[] Triangles,
    float[] TextureCoordinates, string Source, double ReprojectionError)
{
    /// <summary>The vertices in camera coordinates (x right, y down, z forward, centimetres).</summary>
    public Point3D[] CameraVertices() => Vertices.Select(Pose.ToCamera).ToArray();

    /// <summary>
    /// From a 468-point mesh: the pose from the canonical face's weighted vertices; then each mesh point, at the depth
    /// the pose gives the face plus the mesh's own relative depth (pixels turned into centimetres at that distance),
    /// is cast back through the camera, so that the reconstruction projects exactly onto the mesh.
    /// </summary>
    public static FaceReconstruction FromMesh(MeshFace mesh, CanonicalFace face, PinholeCamera camera)
    {
        var pose = FacePose.FromMesh(mesh, face, camera);
        int n = CanonicalFace.VertexCount;
        double meanDepth = 0, meanZ = 0;
        for (int i = 0; i < n; i++)
        {
            var (x, y, z) = face.Vertex(i);
            meanDepth += pose.ToCamera(new Point3D(x, y, z)).Z;
            meanZ += mesh.Points[i].Z;
        }
        meanDepth /= n;
        meanZ /= n;
        double centimetresPerPixel = meanDepth / camera.Focal;
        var vertices = new Point3D[n];
        var image = new Point2D[n];
        for (int i = 0; i < n; i++)
        {
            var p = mesh.Points[i];
            double depth = meanDepth + (p.Z - meanZ) * centimetresPerPixel;
            var c = new Point3D((p.X - camera.Cx) * depth / camera.Focal, (p.Y - camera.Cy) * depth / camera.Focal, depth);
            vertices[i] = ToModel(pose, c);
            image[i] = new Point2D(p.X, p.Y);
        }
        return new FaceReconstruction(vertices, image, pose, camera, face.Triangles, face.TextureCoordinates, "facemesh", pose.RmsError);
    }

    /// <summary>
    /// From 68 landmarks (face-api.js's): the pose from the canonical face's 68 iBUG vertices; then the posed canonical
    /// mesh is deformed as little as possible (Laplacian least squares) so that those 68 vertices pass through the
    /// landmarks at the depth the scaled canonical model gives them.
    /// </summary>
    public static FaceReconstruction From68(FaceLandmarks landmarks, CanonicalFace face, PinholeCamera camera)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        ArgumentNullException.ThrowIfNull(face);
        var pose = FacePose.From68(landmarks, face, camera);
        int n = CanonicalFace.VertexCount;
        var posed = new Point3D[n];
        for (int i = 0; i < n; i++)
        {
            var (x, y, z) = face.Vertex(i);
            posed[i] = pose.ToCamera(new Point3D(x, y, z));
        }
        var anchors = new Dictionary<int, Point3D>();
        for (int k = 0; k < 68; k++)
        {
            int v = face.Ibug68[k];
            var p = landmarks.Points[k];
            double depth = posed[v].Z;
            anchors[v] = new Point3D((p.X - camera.Cx) * depth / camera.Focal, (p.Y - camera.Cy) * depth / camera.Focal, depth);
        }
        var deformed = LaplacianDeformation.Solve(posed, face.Triangles, anchors);
        var vertices = deformed.Select(c => ToModel(pose, c)).ToArray();
        var image = deformed.Select(camera.Project).ToArray();
        double sum = 0;
        for (int k = 0; k < 68; k++)
        {
            var q = image[face.Ibug68[k]];
            var p = landmarks.Points[k];
            sum += (q.X - p.X) * (q.X - p.X) + (q.Y - p.Y) * (q.Y - p.Y);
        }
        return new FaceReconstruction(vertices, image, pose, camera, face.Triangles, face.TextureCoordinates, "face-api.js 68", Math.Sqrt(sum / 68));
    }

    // The inverse of HeadPose.ToCamera: p = R^T F (c - t), F = diag(1, -1, -1).
    private static Point3D ToModel(HeadPose pose, Point3D c)
    {
        var r = pose.Rotation;
        double x = c.X - pose.Translation.X, y = -(c.Y - pose.Translation.Y), z = -(c.Z - pose.Translation.Z);
        return new Point3D(r[0] * x + r[3] * y + r[6] * z, r[1] * x + r[4] * y + r[7] * z, r[2] * x + r[5] * y + r[8] * z);
    }
}

/// <summary>
/// Deforms a mesh as little as possible in shape while moving some vertices to targets: minimises
/// |L x - L x0|^2 + w^2 |x_anchor - target|^2 per coordinate, L the uniform graph Laplacian of the triangles (each vertex
/// minus the mean of its neighbours), solved exactly (dense Cholesky: 468 vertices is small).
/// </summary>
public static class LaplacianDeformation
{
    /// <summary>How much an anchor outweighs shape: large enough that anchors land within a hundredth of their target's scale.</summary>
    public const double AnchorWeight = 1000;

    /// <summary>The deformed vertices.</summary>
    public static Point3D[] Solve(IReadOnlyList<Point3D> rest, IReadOnlyList<int> triangles, IReadOnlyDictionary<int, Point3D> anchors)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(triangles);
        ArgumentNullException.ThrowIfNull(anchors);
        int n = rest.Count;
        if (n > 4096) throw new ArgumentException($"A mesh of {n} vertices is beyond the dense solver (4096 at most).", nameof(rest));
        var neighbours = new HashSet<int>[n];
        for (int i = 0; i < n; i++) neighbours[i] = [];
        for (int t = 0; t + 2 < triangles.Count; t += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = triangles[t + k], b = triangles[t + (k + 1) % 3];
                neighbours[a].Add(b);
                neighbours[b].Add(a);
            }
        // L as a dense matrix (row i: 1 at i, -1/deg at each neighbour).
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            l[i * n + i] = 1;
            foreach (int j in neighbours[i]) l[i * n + j] = -1.0 / neighbours[i].Count;
        }
        // A = L^T L + w^2 S; b = L^T L x0 + w^2 S target.
        var a2 = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < n; i++)
            {
                double li = l[r * n + i];
                if (li == 0) continue;
                for (int j = 0; j < n; j++) a2[i * n + j] += li * l[r * n + j];
            }
        double w2 = AnchorWeight * AnchorWeight;
        foreach (int v in anchors.Keys)
        {
            if (v < 0 || v >= n) throw new ArgumentException($"Anchor vertex {v} is not one of the {n}.", nameof(anchors));
            a2[v * n + v] += w2;
        }
        var result = new Point3D[n];
        var rhs = new double[3][];
        for (int d = 0; d < 3; d++)
        {
            var x0 = rest.Select(p => d == 0 ? p.X : d == 1 ? p.Y : p.Z).ToArray();
            var lx = new double[n];
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += l[i * n + j] * x0[j];
                lx[i] = s;
            }
            var b = new double[n];
            for (int i = 0; i < n; i++)
                for (int r = 0; r < n; r++) b[i] += l[r * n + i] * lx[r];
            foreach (var (v, target) in anchors) b[v] += w2 * (d == 0 ? target.X : d == 1 ? target.Y : target.Z);
            rhs[d] = b;
        }
        Cholesky(a2, n);
        var solved = rhs.Select(b => Substitute(a2, n, b)).ToArray();
        for (int i = 0; i < n; i++) result[i] = new Point3D(solved[0][i], solved[1][i], solved[2][i]);
        return result;
    }

    // In place: the lower triangle becomes L with A = L L^T.
    private static void Cholesky(double[] a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
            if (!(d > 0)) throw new ArgumentException("The deformation is not determined: a part of the mesh has no anchor (the system is singular).");
            double ljj = Math.Sqrt(d);
            a[j * n + j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / ljj;
            }
        }
    }

    private static double[] Substitute(double[] l, int n, double[] b)
    {
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * y[k];
            y[i] = s / l[i * n + i];
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
