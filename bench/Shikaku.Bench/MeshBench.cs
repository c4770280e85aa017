using System.Diagnostics;
using Shikaku.Assets;
using Shikaku.Models.MediaPipe;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Mesh;

namespace Shikaku.Bench;

/// <summary>
/// faces mesh on face-api.js's sample1.jpg (1920x1280, 3 faces), stage by stage, best of rounds after a warm-up:
/// BlazeFace + FaceMesh, without and with Iris (what human.detect does with only its face pipeline on), the head poses, the
/// reconstructions, the files per face (texture, OBJ, PLY, glTF) and the pictures (depth, PNCC, three panels).
/// Writes the decoded pixels as .npy first, so bench/reference/human-pipeline sees the same pixels.
/// </summary>
internal static class MeshBench
{
    public static void Run(string pixelsNpy, int rounds, Action<string, double> emit)
    {
        string photoPath = AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)["package/demo/sample1.jpg"];
        var photo = ImageCodec.Load(photoPath).ToRgb();
        using (var pixels = Tensor.FromArray(photo.Pixels.Select(b => (float)b).ToArray(), photo.Height, photo.Width, 3))
            Shikaku.Formats.Npy.Write(pixelsNpy, pixels, overwrite: true);
        using var detector = new FaceMeshDetector();
        var canonical = CanonicalFace.Load();
        var camera = PinholeCamera.ForImage(photo.Width, photo.Height);
        string folder = Directory.CreateTempSubdirectory("shikaku-mesh-bench").FullName;
        try
        {
            var meshes = detector.Detect(photo);
            Console.Error.WriteLine($"# sample1.jpg {photo.Width}x{photo.Height}: {meshes.Count} faces");
            List<FaceReconstruction> faces = [];
            var stages = new (string Name, Action Run)[]
            {
                ("decode sample1.jpg", () => ImageCodec.Load(photoPath)),
                ("blazeface + facemesh (3 faces, no iris)", () => detector.Detect(photo, new FaceMeshOptions(Iris: false))),
                ("blazeface + facemesh + iris (3 faces)", () => meshes = detector.Detect(photo)),
                ("head poses", () => { foreach (var m in meshes) FacePose.FromMesh(m, canonical, camera); }),
                ("reconstructions", () => faces = meshes.Select(m => FaceReconstruction.FromMesh(m, canonical, camera)).ToList()),
                ("texture + OBJ + PLY + glTF per face", () =>
                {
                    for (int i = 0; i < faces.Count; i++)
                    {
                        string stem = Path.Combine(folder, $"face{i + 1}");
                        MeshExport.WriteAll(faces[i], photo, stem, overwrite: true);
                    }
                }),
                ("depth + PNCC + three panels (drawn)", () =>
                {
                    MeshRender.DepthImage(MeshRender.Depth(faces, photo.Width, photo.Height), photo.Width, photo.Height);
                    MeshRender.Pncc(faces, canonical.Positions, photo.Width, photo.Height);
                    MeshRender.ThreePanels(photo, meshes, faces, canonical.Triangles);
                }),
            };
            var best = stages.Select(_ => double.MaxValue).ToArray();
            // Warm-up: every stage for at least 2 s (the JIT recompiles hot methods after 30 calls).
            var warm = Stopwatch.StartNew();
            for (int w = 0; w < 3 || warm.Elapsed.TotalSeconds < 2; w++)
                foreach (var stage in stages) stage.Run();
            for (int r = 0; r < rounds; r++)
                for (int s = 0; s < stages.Length; s++)
                {
                    var sw = Stopwatch.StartNew();
                    stages[s].Run();
                    best[s] = Math.Min(best[s], sw.Elapsed.TotalMilliseconds);
                }
            for (int s = 0; s < stages.Length; s++) emit(stages[s].Name, best[s]);
            emit("after decoding, all stages (with iris)", best.Skip(2).Sum());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
