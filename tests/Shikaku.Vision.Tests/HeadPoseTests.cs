using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Mesh;

namespace Shikaku.Vision.Tests;

/// <summary>
/// Pose recovery on the canonical face rendered by a pinhole camera under known rotations and translations: the
/// issue's yaw -60..60, pitch -30..30, roll -45..45.
/// </summary>
public sealed class HeadPoseTests
{
    private static readonly Lazy<CanonicalFace> Face = new(() => CanonicalFace.Load());
    private static readonly PinholeCamera Camera = PinholeCamera.ForImage(1920, 1280);

    private static Point3D[] Landmarks68()
    {
        var face = Face.Value;
        return face.Ibug68.Select(v => { var (x, y, z) = face.Vertex(v); return new Point3D(x, y, z); }).ToArray();
    }

    private static Point2D[] Render(Point3D[] model, double yaw, double pitch, double roll, Point3D translation, PinholeCamera camera)
    {
        var pose = new HeadPose(yaw, pitch, roll, translation, HeadPose.RotationFromAngles(yaw, pitch, roll), 0, model.Length);
        return model.Select(p => camera.Project(pose.ToCamera(p))).ToArray();
    }

    public static TheoryData<double, double, double> Poses()
    {
        var data = new TheoryData<double, double, double>();
        foreach (double yaw in new[] { -60.0, -35, 0, 20, 60 })
            foreach (double pitch in new[] { -30.0, 0, 30 })
                foreach (double roll in new[] { -45.0, 0, 15, 45 })
                    data.Add(yaw, pitch, roll);
        return data;
    }

    [Theory]
    [MemberData(nameof(Poses))]
    public void ThePoseOfTheRenderedCanonicalLandmarksIsRecoveredWithinADegree(double yaw, double pitch, double roll)
    {
        var model = Landmarks68();
        foreach (var t in new[] { new Point3D(0, 0, 60), new Point3D(-12, 7, 45), new Point3D(20, -10, 120) })
        {
            var image = Render(model, yaw, pitch, roll, t, Camera);
            var pose = HeadPose.Fit(model, image, Enumerable.Repeat(1.0, model.Length).ToArray(), Camera);
            Assert.InRange(pose.Yaw - yaw, -1, 1);
            Assert.InRange(pose.Pitch - pitch, -1, 1);
            Assert.InRange(pose.Roll - roll, -1, 1);
            Assert.InRange(pose.Translation.Z - t.Z, -0.01 * t.Z, 0.01 * t.Z);
            Assert.True(pose.RmsError < 0.01, $"reprojection {pose.RmsError} px");
        }
    }

    [Fact]
    public void WithPixelNoiseThePoseStaysCloseAndTheErrorIsTheNoise()
    {
        var model = Landmarks68();
        var rng = new Random(7);
        double worst = 0;
        foreach (var (yaw, pitch, roll) in new[] { (0.0, 0.0, 0.0), (40.0, -20.0, 10.0), (-55.0, 25.0, -40.0), (15.0, 10.0, 30.0) })
        {
            var image = Render(model, yaw, pitch, roll, new Point3D(4, -3, 55), Camera)
                .Select(p => new Point2D(p.X + Gaussian(rng), p.Y + Gaussian(rng))).ToArray();
            var pose = HeadPose.Fit(model, image, Enumerable.Repeat(1.0, model.Length).ToArray(), Camera);
            worst = Math.Max(worst, Math.Max(Math.Abs(pose.Yaw - yaw), Math.Max(Math.Abs(pose.Pitch - pitch), Math.Abs(pose.Roll - roll))));
            // One pixel of noise per axis: the residual is about sqrt(2) px, a little less for the 6 fitted parameters.
            Assert.InRange(pose.RmsError, 1.0, 1.5);
        }
        // A face 55 cm away is about 260 px wide here: a pixel of noise moves the pose by a degree or two at most.
        Assert.True(worst < 3, $"worst angle error {worst:0.00} degrees");
    }

    [Fact]
    public void MirroringThePhotoChangesTheSignOfYawAndRollNotPitch()
    {
        var model = Landmarks68();
        var image = Render(model, 32, -12, 21, new Point3D(3, 2, 70), Camera);
        // A mirrored photo: x -> width - x; the mirrored landmark of a point is its left-right partner.
        var mirrored = image.Select(p => new Point2D(2 * Camera.Cx - p.X, p.Y)).ToArray();
        var partner = MirrorPartners();
        var swapped = Enumerable.Range(0, 68).Select(i => mirrored[partner[i]]).ToArray();
        var weights = Enumerable.Repeat(1.0, 68).ToArray();
        var a = HeadPose.Fit(model, image, weights, Camera);
        var b = HeadPose.Fit(model, swapped, weights, Camera);
        Assert.Equal(a.Yaw, -b.Yaw, 1);
        Assert.Equal(a.Roll, -b.Roll, 1);
        Assert.Equal(a.Pitch, b.Pitch, 1);
        Assert.Equal(a.Translation.X, -b.Translation.X, 1);
    }

    [Fact]
    public void TheTransformMatrixPlacesModelPointsWhereToCameraDoes()
    {
        var pose = HeadPose.Fit(Landmarks68(), Render(Landmarks68(), 25, 10, -5, new Point3D(1, 2, 50), Camera), Enumerable.Repeat(1.0, 68).ToArray(), Camera);
        var m = pose.Transform;
        foreach (var p in Landmarks68())
        {
            var v = System.Numerics.Vector3.Transform(new System.Numerics.Vector3((float)p.X, (float)p.Y, (float)p.Z), m);
            var c = pose.ToCamera(p);
            Assert.Equal(c.X, v.X, 3);
            Assert.Equal(c.Y, v.Y, 3);
            Assert.Equal(c.Z, v.Z, 3);
        }
    }

    [Fact]
    public void LandmarksThatCannotGiveAPoseAreRefusedByName()
    {
        var model = Landmarks68();
        var image = Render(model, 0, 0, 0, new Point3D(0, 0, 60), Camera);
        var ones = Enumerable.Repeat(1.0, 68).ToArray();
        Assert.Contains("at least 6", Assert.Throws<ArgumentException>(() => HeadPose.Fit(model[..5], image[..5], ones[..5], Camera)).Message);
        Assert.Contains("as many", Assert.Throws<ArgumentException>(() => HeadPose.Fit(model, image[..60], ones, Camera)).Message);
        var nan = (Point2D[])image.Clone();
        nan[3] = new Point2D(double.NaN, 1);
        Assert.Contains("Landmark 3 is not finite", Assert.Throws<ArgumentException>(() => HeadPose.Fit(model, nan, ones, Camera)).Message);
        var same = Enumerable.Repeat(new Point2D(100, 100), 68).ToArray();
        Assert.Contains("at one place", Assert.Throws<PoseException>(() => HeadPose.Fit(model, same, ones, Camera)).Message);
        var flat = model.Select(p => p with { Z = 0 }).ToArray();
        Assert.Contains("plane", Assert.Throws<PoseException>(() => HeadPose.Fit(flat, image, ones, Camera)).Message);
    }

    // iBUG 68's left-right pairs (0 <-> 16, 17 <-> 26, 36 <-> 45, 48 <-> 54, ...); points on the middle line map to themselves.
    private static int[] MirrorPartners()
    {
        var p = Enumerable.Range(0, 68).ToArray();
        void Pair(int a, int b) { p[a] = b; p[b] = a; }
        for (int i = 0; i < 8; i++) Pair(i, 16 - i);
        for (int i = 0; i < 5; i++) Pair(17 + i, 26 - i);
        Pair(31, 35); Pair(32, 34);
        Pair(36, 45); Pair(37, 44); Pair(38, 43); Pair(39, 42); Pair(40, 47); Pair(41, 46);
        Pair(48, 54); Pair(49, 53); Pair(50, 52); Pair(59, 55); Pair(58, 56);
        Pair(60, 64); Pair(61, 63); Pair(67, 65);
        return p;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
