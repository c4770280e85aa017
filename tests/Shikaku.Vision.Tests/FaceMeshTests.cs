using Shikaku.Assets;
using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Mesh;

namespace Shikaku.Vision.Tests;

/// <summary>BlazeFace and FaceMesh on the face-api.js demo photos, checked against face-api.js's own nets on the same faces.</summary>
public sealed class FaceMeshTests
{
    private static readonly Lazy<FaceMeshDetector> Detector = new(() => new FaceMeshDetector());
    private static readonly Lazy<FaceAnalyzer> Analyzer = new(() => new FaceAnalyzer());

    private static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void EveryFaceFaceApiFindsGetsAMeshAndBothGiveOnePose(int sample)
    {
        var image = ImageCodec.Load(Photo(sample));
        var faces = Detector.Value.Detect(image);
        var apiFaces = Analyzer.Value.Analyze(image, new FaceAnalysisOptions { Expressions = false, AgeGender = false, Descriptors = false });
        var canonical = CanonicalFace.Load();
        var camera = PinholeCamera.ForImage(image.Width, image.Height);
        Assert.Equal(apiFaces.Count, faces.Count);
        foreach (var f in faces)
        {
            Assert.Equal(468, f.Points.Count);
            var p = FacePose.FromMesh(f, canonical, camera);
            var other = apiFaces.MinBy(a => Math.Abs(a.Detection.Box.X - f.Box.X) + Math.Abs(a.Detection.Box.Y - f.Box.Y));
            Assert.NotNull(other);
            var q = FacePose.From68(other.Landmarks!, canonical, camera);
            // Two landmark sets, one model: the poses agree within the landmarks' disagreement (measured: 13 degrees at most on these 22 faces).
            Assert.True(Math.Abs(p.Yaw - q.Yaw) < 15 && Math.Abs(p.Roll - q.Roll) < 15, $"mesh ({p.Yaw:0.0}, {p.Roll:0.0}) vs 68 ({q.Yaw:0.0}, {q.Roll:0.0})");
        }
    }
}

/// <summary>human's antispoof and liveness nets on the face-api.js demo photos: 22 faces of live people photographed directly.</summary>
public sealed class LivenessTests
{
    [Fact]
    public void EveryDemoFaceIsScoredAndNearlyAllLookLive()
    {
        using var detector = new FaceMeshDetector();
        var scored = new List<MeshFace>();
        for (int n = 1; n <= 6; n++)
        {
            var photo = ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"]);
            scored.AddRange(detector.Detect(photo, new FaceMeshOptions(Liveness: true)));
            // Without the option nothing is scored.
            if (n == 1) Assert.All(detector.Detect(photo), f => Assert.True(f.Real == null && f.Live == null));
        }
        Assert.Equal(22, scored.Count);
        Assert.All(scored, f => Assert.True(f.Real is >= 0 and <= 1 && f.Live is >= 0 and <= 1, $"real {f.Real}, live {f.Live}"));
        // Measured: 21 of 22 with both scores over one half (one live score is 0.43). These nets guess; the guard is
        // that the crop and the input scaling stay what they were trained on, which would drop most faces if broken.
        int live = scored.Count(f => f.Real >= 0.5 && f.Live >= 0.5);
        Assert.True(live >= 20, $"only {live} of 22 live faces look live");
    }
}
