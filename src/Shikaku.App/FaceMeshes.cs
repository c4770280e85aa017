using Shikaku.IO;
using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Mesh;

namespace Shikaku.App;

/// <summary>Where the landmarks of faces mesh come from.</summary>
public enum MeshLandmarks
{
    /// <summary>MediaPipe's BlazeFace and FaceMesh (468 points): the canonical face's own topology.</summary>
    FaceMesh,
    /// <summary>face-api.js's SSD detector and 68 landmarks: the canonical face deformed through them.</summary>
    FaceApi,
}

/// <summary>One face of faces mesh: its reconstruction and the files written for it, or why there is none.</summary>
public sealed record MeshedFace(BoundingBox Box, double Score, FaceReconstruction? Reconstruction, IReadOnlyList<string> Files, string? Error)
{
    /// <summary>The mesh the reconstruction came from (facemesh landmarks), with its irises when iris ran; null for face-api.js's 68 points.</summary>
    public MeshFace? Mesh { get; init; }
}

/// <summary>faces mesh of one image: its faces and the image-wide pictures written (depth, PNCC, the three panels).</summary>
public sealed record MeshImageResult(string Image, IReadOnlyList<MeshedFace> Faces, IReadOnlyList<string> Files, string? Error)
{
    internal object Document { get; init; } = new { };

    /// <summary>The image's entry in the JSON contract (docs/CLI.md).</summary>
    public object ToJson() => Document;
}

public sealed partial class FaceUseCases
{
    /// <summary>The smallest face side, in pixels, that a mesh is made for: below it the crop holds too little of a face.</summary>
    public const int MinMeshFace = 24;

    private FaceMeshDetector? _mesh;

    private FaceMeshDetector MeshDetector
    {
        get
        {
            if (_mesh is { } ready) return ready;
            lock (_loading) return _mesh ??= new FaceMeshDetector(log: null, folder: (_fetch ?? IFetchProgress.Silent).Run("the face mesh models", log => Models.Human.GraphModels.Folder(log)));
        }
    }

    /// <summary>
    /// Lecture 8-6's 3-D reconstruction of every face in each image: landmarks (<paramref name="landmarks"/>), the head
    /// pose, the canonical face fitted to them; written to <c>out/&lt;image&gt;/</c>: per face an OBJ (with its material
    /// and texture), a PLY with vertex colours and a GLB; per image a depth map (PNG, and centimetres as .npy), PNCC,
    /// the three panels (photo | landmarks | mesh) and mesh.json. A face mesh is biometric data: nothing is written
    /// without <see cref="FacesRequest.Out"/>.
    /// </summary>
    public (List<MeshImageResult> Images, BatchOutcome Outcome) Mesh(FacesRequest request, MeshLandmarks landmarks = MeshLandmarks.FaceMesh,
        double fieldOfView = PinholeCamera.DefaultVerticalFieldOfView, Action<MeshImageResult>? onImage = null, CancellationToken cancellationToken = default,
        bool iris = true)
    {
        ArgumentNullException.ThrowIfNull(request);
        string root = request.Out ?? throw new UsageException("faces mesh writes files: give --out DIR (a face mesh is biometric data, so nothing is written unless you ask).");
        if (!(fieldOfView is > 1 and < 179)) throw new UsageException($"--fov {fieldOfView} is not a vertical field of view; give degrees between 1 and 179 (a phone: about 63).");
        var files = OutputPolicy.Expand(request.Inputs, "faces mesh");
        if (File.Exists(root)) throw new UsageException($"--out {root} is a file; give a folder.");
        var stems = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            string stem = Path.GetFileNameWithoutExtension(f);
            if (!stems.Add(stem)) throw new UsageException($"Two inputs are named {stem}; their outputs in {root} would collide. Rename one.");
            string dir = Path.Combine(root, stem);
            if (!request.Overwrite && Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new IOException($"{dir} already holds files; pass --overwrite to replace them, or choose another --out folder.");
        }
        var canonical = Canonical;
        return Batch.ForEachImage(request.Load, files, onImage, cancellationToken,
            (file, image) => MeshImage(file, image, Path.Combine(root, Path.GetFileNameWithoutExtension(file)), landmarks, fieldOfView, canonical, request, iris),
            (file, e) => new MeshImageResult(file, [], [], e.Message) { Document = new { image = file, error = e.Message } });
    }

    /// <summary>
    /// The 3-D viewer's data for an image held in memory (the studio's): per face the reconstruction's vertices (cm, the
    /// face's own frame: x right, y up, z to the viewer), its front-facing triangles, texture coordinates and the texture
    /// unwrapped from the photo as a PNG data URL, with the pose. Nothing is written or kept.
    /// </summary>
    public object MeshView(string name, Image image, double fieldOfView = PinholeCamera.DefaultVerticalFieldOfView)
    {
        ArgumentNullException.ThrowIfNull(image);
        var camera = PinholeCamera.ForImage(image.Width, image.Height, fieldOfView);
        var canonical = Canonical;
        var faces = new List<object>();
        foreach (var m in MeshDetector.Detect(image))
        {
            var (face, error) = Reconstruct(m.Box, m, null, canonical, camera);
            if (face == null)
            {
                faces.Add(new { box = FaceJson.Box(m.Box), score = Math.Round(m.DetectorScore, 4), error });
                continue;
            }
            faces.Add(new
            {
                box = FaceJson.Box(m.Box),
                score = Math.Round(m.DetectorScore, 4),
                pose = FaceJson.Pose(face.Pose),
                reprojectionError = Math.Round(face.ReprojectionError, 3),
                positions = face.Vertices.SelectMany(v => new[] { Math.Round(v.X, 3), Math.Round(v.Y, 3), Math.Round(v.Z, 3) }).ToArray(),
                triangles = MeshExport.FrontFacing(face),
                uv = face.TextureCoordinates.Select(t => Math.Round(t, 5)).ToArray(),
                texture = "data:image/png;base64," + Convert.ToBase64String(ImageCodec.Encode(MeshExport.Texture(face, image), ImageFormat.Png)),
            });
        }
        return new { image = name, width = image.Width, height = image.Height, units = "centimetres", faces };
    }

    /// <summary>
    /// One face's reconstruction, or why there is none: too small (under <see cref="MinMeshFace"/> pixels), no landmarks,
    /// a fit that did not converge to finite numbers, or a face turned more than 75 degrees away. The one rule for
    /// faces mesh, the studio's 3-D view and the demo.
    /// </summary>
    public static (FaceReconstruction? Face, string? Error) Reconstruct(BoundingBox box, MeshFace? mesh, FaceLandmarks? points, CanonicalFace canonical, PinholeCamera camera)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        if (Math.Max(box.Width, box.Height) < MinMeshFace)
            return (null, $"The face is {Math.Max(box.Width, box.Height):0} pixels across; a mesh needs at least {MinMeshFace}.");
        try
        {
            var face = mesh != null ? FaceReconstruction.FromMesh(mesh, canonical, camera)
                : points != null ? FaceReconstruction.From68(points, canonical, camera)
                : throw new PoseException("The face has no landmarks.");
            if (!face.Vertices.All(v => double.IsFinite(v.X) && double.IsFinite(v.Y) && double.IsFinite(v.Z)) || !double.IsFinite(face.ReprojectionError))
                throw new PoseException("The fit did not converge to a finite mesh.");
            if (Math.Abs(face.Pose.Yaw) > 75)
                throw new PoseException($"The face is turned {Math.Abs(face.Pose.Yaw):0} degrees away; the landmarks of a profile do not fit a frontal model (75 at most).");
            return (face, null);
        }
        catch (PoseException e)
        {
            return (null, e.Message);
        }
    }

    private MeshImageResult MeshImage(string file, Image image, string dir, MeshLandmarks source, double fov, CanonicalFace canonical, FacesRequest request, bool iris)
    {
        var camera = PinholeCamera.ForImage(image.Width, image.Height, fov);
        var found = new List<(BoundingBox Box, double Score, MeshFace? Mesh, FaceLandmarks? Landmarks)>();
        if (source == MeshLandmarks.FaceMesh)
            found.AddRange(MeshDetector.Detect(image, new FaceMeshOptions(MaxFaces: request.Options.Detection.MaxFaces, Iris: iris)).Select(m => (m.Box, m.DetectorScore, (MeshFace?)m, (FaceLandmarks?)null)));
        else
            found.AddRange(Analyzer.Analyze(image, request.Options with { Expressions = false, AgeGender = false, Descriptors = false })
                .Select(f => (f.Detection.Box, f.Detection.Score, (MeshFace?)null, f.Landmarks)));
        Directory.CreateDirectory(dir);
        var faces = new List<MeshedFace>();
        var reconstructions = new List<FaceReconstruction>();
        var drawn = new List<MeshFace>();
        for (int i = 0; i < found.Count; i++)
        {
            var (box, score, mesh, points) = found[i];
            var (face, error) = Reconstruct(box, mesh, points, canonical, camera);
            var written = new List<string>();
            if (face != null)
            {
                string stem = Path.Combine(dir, $"face{i + 1}");
                written.AddRange(MeshExport.WriteAll(face, image, stem, request.Overwrite));
                reconstructions.Add(face);
                drawn.Add(mesh ?? new MeshFace(box, score, [], 1, face.ImagePoints.Select(p => new Point3D(p.X, p.Y, 0)).ToArray(), 0));
            }
            faces.Add(new MeshedFace(box, score, face, written, error) { Mesh = mesh });
        }
        var depth = MeshRender.Depth(reconstructions, image.Width, image.Height);
        string depthPng = Path.Combine(dir, "depth.png"), depthNpy = Path.Combine(dir, "depth.npy"), pncc = Path.Combine(dir, "pncc.png"),
            panels = Path.Combine(dir, "three-panels.png"), json = Path.Combine(dir, "mesh.json");
        var save = new ImageSaveOptions { Overwrite = request.Overwrite };
        ImageCodec.Save(MeshRender.DepthImage(depth, image.Width, image.Height), depthPng, save);
        using (var tensor = Tensors.Tensor.FromArray(depth, image.Height, image.Width))
            Formats.Npy.Write(depthNpy, tensor, request.Overwrite);
        ImageCodec.Save(MeshRender.Pncc(reconstructions, canonical.Positions, image.Width, image.Height), pncc, save);
        ImageCodec.Save(MeshRender.ThreePanels(image, drawn, reconstructions, canonical.Triangles), panels, save);
        var document = new
        {
            image = file,
            width = image.Width,
            height = image.Height,
            landmarks = source == MeshLandmarks.FaceMesh ? "facemesh (468)" : "face-api.js (68)",
            camera = new { focal = Math.Round(camera.Focal, 2), cx = camera.Cx, cy = camera.Cy, verticalFieldOfView = fov },
            files = new { depth = depthPng, depthCentimetres = depthNpy, pncc, threePanels = panels },
            faces = faces.Select(f => new
            {
                score = Math.Round(f.Score, 4),
                box = FaceJson.Box(f.Box),
                pose = FaceJson.Pose(f.Reconstruction?.Pose),
                reprojectionError = f.Reconstruction == null ? (double?)null : Math.Round(f.Reconstruction.ReprojectionError, 3),
                iris = FaceJson.Iris(f.Mesh),
                files = f.Files,
                error = f.Error,
            }).ToList(),
        };
        SafeFile.WriteAllText(json, Contract.SerializeForFile(document), request.Overwrite);
        return new MeshImageResult(file, faces, [depthPng, depthNpy, pncc, panels, json], null) { Document = document };
    }
}
