using Shikaku.Assets;
using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;
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

/// <summary>MediaPipe Iris in the mesh pipeline, on the 22 faces of the face-api.js demo photos.</summary>
public sealed class IrisTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private static readonly Lazy<FaceMeshDetector> Detector = new(() => new FaceMeshDetector());

    private static double Distance(Point3D a, Point3D b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    // How far p lies outside the lid contour (the upper lid from the outer corner, then the lower lid back): 0 inside.
    private static double Outside(Point3D p, IReadOnlyList<Point3D> polygon)
    {
        bool inside = false;
        double nearest = double.MaxValue;
        for (int i = 0, j = polygon.Count - 1; i < polygon.Count; j = i++)
        {
            var (a, b) = (polygon[j], polygon[i]);
            if ((b.Y > p.Y) != (a.Y > p.Y) && p.X < (a.X - b.X) * (p.Y - b.Y) / (a.Y - b.Y) + b.X) inside = !inside;
            double dx = b.X - a.X, dy = b.Y - a.Y, t = Math.Clamp(((p.X - a.X) * dx + (p.Y - a.Y) * dy) / Math.Max(dx * dx + dy * dy, 1e-12), 0, 1);
            nearest = Math.Min(nearest, Distance(p, new Point3D(a.X + t * dx, a.Y + t * dy, 0)));
        }
        return inside ? 0 : nearest;
    }

    [Fact]
    public void EachIrisLiesInItsEyeAndNoLidPointCrossesTheEye()
    {
        var eyes = EyeLayout.Load();
        int faces = 0;
        double worstMove = 0, worstOther = 0, worstOutside = 0, minRatio = double.MaxValue, maxRatio = 0;
        for (int n = 1; n <= 6; n++)
        {
            var photo = ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"]);
            var with = Detector.Value.Detect(photo);
            var without = Detector.Value.Detect(photo, new FaceMeshOptions(Iris: false));
            Assert.Equal(without.Count, with.Count);
            Assert.All(without, f => Assert.Null(f.Iris));
            for (int i = 0; i < with.Count; i++)
            {
                var f = with[i];
                Assert.NotNull(f.Iris);
                Assert.Equal(10, f.Iris.Count);
                Assert.Equal(468, f.Points.Count);
                faces++;
                foreach (var side in new[] { EyeSide.Right, EyeSide.Left })
                {
                    var (outer, inner) = eyes.Corners(side);
                    double width = Distance(without[i].Points[outer], without[i].Points[inner]);
                    // The lids as refined: upper lid (without its corners, which the lower lid holds) then the lower lid reversed.
                    var lid = eyes.MeshLine(side, "EyeUpper0").Select(v => f.Points[v])
                        .Concat(eyes.MeshLine(side, "EyeLower0").Reverse().Select(v => f.Points[v])).ToList();
                    var centre = f.Iris[side == EyeSide.Right ? 0 : 5];
                    // A closed or downcast eye (sample1's third face) hides its iris: the net puts it on the lash line.
                    worstOutside = Math.Max(worstOutside, Outside(centre, lid) / width);
                    double ratio = f.IrisRadius(side)!.Value / width;
                    minRatio = Math.Min(minRatio, ratio);
                    maxRatio = Math.Max(maxRatio, ratio);
                    // A mirrored crop read the wrong way round puts each lid point near the opposite corner: about one eye width.
                    foreach (string line in EyeLayout.LineNames)
                        foreach (int v in eyes.MeshLine(side, line))
                        {
                            double move = Distance(f.Points[v], without[i].Points[v]) / width;
                            if (line is "EyeUpper0" or "EyeLower0") worstMove = Math.Max(worstMove, move);
                            else worstOther = Math.Max(worstOther, move);
                        }
                }
            }
        }
        log.WriteLine($"{faces} faces; iris radius / eye width {minRatio:0.000}..{maxRatio:0.000}; largest lid move {worstMove:0.000} eye widths " +
            $"(other lines {worstOther:0.000}); " +
            $"farthest iris centre outside its lids {worstOutside:0.000} eye widths");
        Assert.Equal(22, faces);
        Assert.True(worstOutside < 0.1, $"an iris centre lies {worstOutside:0.00} eye widths outside its lids");
        // Measured: 0.36 on the lids, 0.43 on the brows and outer lines (the net draws the eye narrower than the mesh;
        // human's own pipeline refines these eyes alike). Reading the crops the wrong way round gives 1.1 and 2.0.
        Assert.True(worstMove < 0.5 && worstOther < 0.8, $"a refined lid point moved {worstMove:0.00} eye widths, another line's {worstOther:0.00}");
        // An iris is about 12 mm across in an eye about 30 mm wide: radius / width near 0.2 (measured 0.11..0.24; the
        // smallest is a far eye 8 px wide on a turned face).
        Assert.True(minRatio > 0.08 && maxRatio < 0.3, $"iris radius / eye width {minRatio:0.000}..{maxRatio:0.000}");
    }

    [Fact]
    public void MirroringThePhotoMirrorsEachIrisAsMuchAsItsEye()
    {
        var eyes = EyeLayout.Load();
        var photo = ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApi)["package/demo/sample1.jpg"]);
        var mirror = photo.Mirror();
        var faces = Detector.Value.Detect(photo);
        var mirrored = Detector.Value.Detect(mirror);
        var plain = Detector.Value.Detect(photo, new FaceMeshOptions(Iris: false));
        var plainMirrored = Detector.Value.Detect(mirror, new FaceMeshOptions(Iris: false));
        Assert.Equal(3, faces.Count);
        Assert.Equal(faces.Count, mirrored.Count);
        // The photo's right eye is the mirror's left. The net sees the same pixels for both (the subject's left eye is
        // mirrored before the net), so an iris centre differs from its mirror image only as much as the mesh's eye
        // corners, which place the crop, do (the mesh itself is not exactly mirror-symmetric: up to 5 px here).
        Point3D Back(Point3D p) => new(photo.Width - p.X, p.Y, p.Z);
        double worst = double.MinValue;
        for (int i = 0; i < faces.Count; i++)
        {
            int j = Enumerable.Range(0, mirrored.Count).MinBy(k => Math.Abs(photo.Width - mirrored[k].Box.X - mirrored[k].Box.Width - faces[i].Box.X));
            foreach (var side in new[] { EyeSide.Right, EyeSide.Left })
            {
                var (o, n) = eyes.Corners(side);
                var (mo, mn) = eyes.Corners(side == EyeSide.Right ? EyeSide.Left : EyeSide.Right);
                double width = Distance(plain[i].Points[o], plain[i].Points[n]);
                double iris = Distance(faces[i].Iris![side == EyeSide.Right ? 0 : 5], Back(mirrored[j].Iris![side == EyeSide.Right ? 5 : 0])) / width;
                double corners = Math.Max(Distance(plain[i].Points[o], Back(plainMirrored[j].Points[mo])), Distance(plain[i].Points[n], Back(plainMirrored[j].Points[mn]))) / width;
                worst = Math.Max(worst, iris - corners);
            }
        }
        log.WriteLine($"largest excess of an iris centre's mirror difference over its eye corners': {worst:0.000} eye widths");
        Assert.True(worst < 0.05, $"an iris centre moved {worst:0.000} eye widths more than its eye's corners when the photo was mirrored");
    }
}
