using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Mesh;

/// <summary>
/// A face's head pose from its 68 landmarks (face-api.js's, iBUG order): MediaPipe's canonical face, at the 68
/// vertices human's VTX68 names, fitted by <see cref="HeadPose.Fit"/>.
/// </summary>
/// <example><code>
/// var pose = FacePose.From68(face.Landmarks!, CanonicalFace.Load(), PinholeCamera.ForImage(image.Width, image.Height));
/// Console.WriteLine($"yaw {pose.Yaw:0} pitch {pose.Pitch:0} roll {pose.Roll:0}");
/// </code></example>
public static class FacePose
{
    /// <summary>
    /// The weight of the jaw line (iBUG 0-16) against 1 for the other points: the jaw seen in a photo is the cheek's
    /// outline, which slides over the face as the head turns, so it is not one fixed vertex of the model.
    /// </summary>
    public const double JawWeight = 0.25;

    /// <summary>The canonical face's 3-D points in iBUG order, and each one's weight in the fit.</summary>
    public static (Point3D[] Model, double[] Weights) Model68(CanonicalFace face)
    {
        ArgumentNullException.ThrowIfNull(face);
        var model = new Point3D[68];
        var weights = new double[68];
        for (int i = 0; i < 68; i++)
        {
            var (x, y, z) = face.Vertex(face.Ibug68[i]);
            model[i] = new Point3D(x, y, z);
            weights[i] = i <= 16 ? JawWeight : 1;
        }
        return (model, weights);
    }

    /// <summary>
    /// The pose of a face from its 468-point mesh: the canonical face's 33 weighted vertices (MediaPipe's Procrustes
    /// basis) fitted to the mesh's image points.
    /// </summary>
    public static HeadPose FromMesh(MeshFace mesh, CanonicalFace face, PinholeCamera camera)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(face);
        if (mesh.Points.Count != CanonicalFace.VertexCount) throw new ArgumentException($"The mesh has {mesh.Points.Count} points; the canonical face has {CanonicalFace.VertexCount}.", nameof(mesh));
        int n = face.ProcrustesLandmarks.Count;
        var model = new Point3D[n];
        var image = new Point2D[n];
        var weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            var (v, w) = face.ProcrustesLandmarks[i];
            var (x, y, z) = face.Vertex(v);
            model[i] = new Point3D(x, y, z);
            image[i] = new Point2D(mesh.Points[v].X, mesh.Points[v].Y);
            weights[i] = w;
        }
        return HeadPose.Fit(model, image, weights, camera);
    }

    /// <summary>The pose of the face whose 68 landmarks are <paramref name="landmarks"/> (pixels of an image <paramref name="camera"/> took).</summary>
    public static HeadPose From68(FaceLandmarks landmarks, CanonicalFace face, PinholeCamera camera)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        if (landmarks.Points.Count != 68) throw new ArgumentException($"The landmarks have {landmarks.Points.Count} points; the 68-point fit needs 68.", nameof(landmarks));
        var (model, weights) = Model68(face);
        return HeadPose.Fit(model, landmarks.Points.ToArray(), weights, camera);
    }
}
