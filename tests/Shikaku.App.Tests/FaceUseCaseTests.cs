using System.Text.Json;
using Shikaku.Assets;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;

using Shikaku.Testing;

namespace Shikaku.App.Tests;

/// <summary>The faces use cases give exactly what the analyzer gives, and their contracts keep descriptors out unless a file is named.</summary>
public sealed class FaceUseCaseTests() : TempFolderTest("shikaku-app-faces")
{
    private static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"];

    private static FacesRequest Request(IReadOnlyList<string> inputs, string? output = null) =>
        new(inputs, new FaceAnalysisOptions(), new ImageLoadOptions(), output);

    [Fact]
    public void AnalyzeGivesTheAnalyzersFacesAndItsJsonHoldsNoDescriptorsWithoutAFile()
    {
        string photo = Photo(1);
        using var analyzer = new FaceAnalyzer(Models.FaceApi.FaceApiModels.Folder());
        var expected = analyzer.Analyze(ImageCodec.Load(photo), new FaceAnalysisOptions { Expressions = true, AgeGender = true, Descriptors = true });
        using var faces = new FaceUseCases(analyzer);
        var seen = new List<FaceImageResult>();
        var result = faces.Analyze(Request([photo]), seen.Add);
        Assert.Single(seen);
        Assert.Equal(expected.Select(f => (f.Detection.Box, f.Detection.Score, f.Age)), result.Images[0].Faces.Select(f => (f.Detection.Box, f.Detection.Score, f.Age)));
        Assert.Equal(3, result.TotalFaces);
        using var doc = JsonDocument.Parse(Contract.Serialize(result.ToJson()));
        var image = doc.RootElement.GetProperty("images")[0];
        Assert.Equal(FaceAnalyzer.DescriptorModelId, image.GetProperty("descriptorModel").GetString());
        Assert.All(image.GetProperty("faces").EnumerateArray(), f => Assert.Equal(JsonValueKind.Null, f.GetProperty("descriptor").ValueKind));
        Assert.Empty(Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public void PoseOfAMirroredPhotoChangesTheSignOfYawAndRoll()
    {
        var photo = ImageCodec.Load(Photo(3));
        var flipped = new byte[photo.Pixels.Length];
        int row = photo.Width * photo.Channels;
        for (int y = 0; y < photo.Height; y++)
            for (int x = 0; x < photo.Width; x++)
                Array.Copy(photo.Pixels, y * row + x * photo.Channels, flipped, y * row + (photo.Width - 1 - x) * photo.Channels, photo.Channels);
        string mirror = Path.Combine(Root, "mirror.png");
        ImageCodec.Save(new Image(photo.Width, photo.Height, photo.Channels, flipped), mirror);
        using var faces = new FaceUseCases(IFetchProgress.Silent);
        var result = faces.Pose(Request([Photo(3), mirror]));
        var a = result.Images[0].Poses!.Select(p => p.Pose!).ToList();
        var b = result.Images[1].Poses!.Select(p => p.Pose!).ToList();
        Assert.Equal(3, a.Count);
        Assert.Equal(3, b.Count);
        foreach (var pose in a)
        {
            // The same face in the mirror: its box centre mirrored is the nearest.
            var box = result.Images[0].Faces[a.IndexOf(pose)].Detection.Box;
            int j = Enumerable.Range(0, 3).MinBy(k =>
            {
                var m = result.Images[1].Faces[k].Detection.Box;
                return Math.Abs(photo.Width - (m.X + m.Width / 2) - (box.X + box.Width / 2)) + Math.Abs(m.Y - box.Y);
            });
            // The landmark net is not exactly mirror-symmetric: its points on the mirror differ by a few pixels, which
            // moves a 68-point pose by a few degrees.
            string seen = $"photo ({pose.Yaw:0.0}, {pose.Pitch:0.0}, {pose.Roll:0.0}), mirror ({b[j].Yaw:0.0}, {b[j].Pitch:0.0}, {b[j].Roll:0.0})";
            Assert.True(Math.Abs(pose.Yaw + b[j].Yaw) < 8 && Math.Abs(pose.Roll + b[j].Roll) < 8 && Math.Abs(pose.Pitch - b[j].Pitch) < 8, seen);
            if (Math.Abs(pose.Yaw) > 8) Assert.True(Math.Sign(pose.Yaw) == -Math.Sign(b[j].Yaw), seen);
            if (Math.Abs(pose.Roll) > 8) Assert.True(Math.Sign(pose.Roll) == -Math.Sign(b[j].Roll), seen);
            Assert.InRange(pose.Translation.Z, 30, 400);
            Assert.True(pose.RmsError < 20, $"reprojection {pose.RmsError} px");
        }
        using var doc = JsonDocument.Parse(Contract.Serialize(result.ToJson()));
        var first = doc.RootElement.GetProperty("images")[0].GetProperty("faces")[0];
        Assert.True(first.GetProperty("pose").GetProperty("yaw").GetDouble() is > -90 and < 90);
        Assert.Equal(4, first.GetProperty("pose").GetProperty("transform").GetArrayLength());
        Assert.Contains("--fov 0", Assert.Throws<UsageException>(() => faces.Pose(Request([Photo(3)]), 0)).Message);
    }

    [Fact]
    public void LivenessScoresEveryFaceGoesOnPastABadImageAndWritesNothing()
    {
        string broken = Path.Combine(Root, "broken.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        using var faces = new FaceUseCases(IFetchProgress.Silent);
        var (images, outcome) = faces.Liveness(Request([Photo(3), broken]));
        Assert.Equal(new BatchOutcome(1, 2), outcome);
        Assert.Equal(3, images[0].Faces.Count);
        Assert.All(images[0].Faces, f => Assert.True(f.Real is >= 0 and <= 1 && f.Live is >= 0 and <= 1));
        Assert.StartsWith(broken, images[1].Error);
        using var doc = JsonDocument.Parse(Contract.Serialize(images[0].ToJson()));
        var first = doc.RootElement.GetProperty("faces")[0];
        Assert.Equal(images[0].Faces[0].Real, first.GetProperty("real").GetDouble(), 4);
        Assert.Equal(images[0].Faces[0].LooksLive, first.GetProperty("looksLive").GetBoolean());
        Assert.Contains("takes no --out", Assert.Throws<UsageException>(() => faces.Liveness(Request([Photo(3)], Path.Combine(Root, "out")))).Message);
        Assert.Equal([broken], Directory.GetFileSystemEntries(Root));
    }

    [Fact]
    public void MeshOfNoFaceAndOfTinyFacesSaysSoPerFaceAndWritesNoNumberThatIsNot()
    {
        var photo = ImageCodec.Load(Photo(3));
        string blank = Path.Combine(Root, "blank.png"), tiny = Path.Combine(Root, "tiny.png");
        ImageCodec.Save(new Image(320, 240, 3, Enumerable.Repeat((byte)128, 320 * 240 * 3).ToArray()), blank);
        // sample3 at a tenth: its faces are about 20 pixels across, under the 24 a mesh needs.
        ImageCodec.Save(photo.Resize(photo.Width / 10, photo.Height / 10, Shikaku.Kernels.ResizeMode.Area), tiny);
        using var faces = new FaceUseCases(IFetchProgress.Silent);
        string output = Path.Combine(Root, "out");
        var (images, outcome) = faces.Mesh(new FacesRequest([blank, tiny], new FaceAnalysisOptions(), new ImageLoadOptions(), output));
        Assert.Equal(0, outcome.Failures);
        Assert.Empty(images[0].Faces);
        Assert.NotEmpty(images[1].Faces);
        foreach (var face in images[1].Faces)
            Assert.True(face.Reconstruction != null ? face.Files.Count == 5 && face.Error == null : face.Files.Count == 0 && face.Error!.Length > 20, face.Error);
        Assert.Contains(images[1].Faces, f => f.Error?.Contains("pixels across; a mesh needs at least 24") == true);
        foreach (string file in Directory.GetFiles(output, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".obj") || f.EndsWith(".json")))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain("NaN", text);
            Assert.DoesNotContain("nfinity", text);
        }
        Assert.True(File.Exists(Path.Combine(output, "blank", "mesh.json")), "an image without a face still gets its mesh.json (no faces)");
    }

    [Fact]
    public void MeshJsonGivesEachFacesIrisesUnlessTurnedOff()
    {
        using var faces = new FaceUseCases(IFetchProgress.Silent);
        string with = Path.Combine(Root, "with"), without = Path.Combine(Root, "without");
        var request = new FacesRequest([Photo(1)], new FaceAnalysisOptions(), new ImageLoadOptions(), with);
        var (images, _) = faces.Mesh(request);
        Assert.Equal(3, images[0].Faces.Count);
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(with, "sample1", "mesh.json"))))
            foreach (var face in json.RootElement.GetProperty("faces").EnumerateArray())
            {
                var box = face.GetProperty("box");
                double x = box.GetProperty("x").GetDouble(), width = box.GetProperty("width").GetDouble();
                var right = face.GetProperty("iris").GetProperty("right");
                var left = face.GetProperty("iris").GetProperty("left");
                // Both inside the face box, the subject's right eye on the image's left for these upright faces, an
                // iris radius of a few percent of the face's width.
                foreach (var eye in new[] { right, left })
                {
                    Assert.InRange(eye.GetProperty("x").GetDouble(), x, x + width);
                    Assert.InRange(eye.GetProperty("radius").GetDouble(), 0.01 * width, 0.08 * width);
                }
                Assert.True(right.GetProperty("x").GetDouble() < left.GetProperty("x").GetDouble());
            }
        faces.Mesh(request with { Out = without }, iris: false);
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(without, "sample1", "mesh.json"))))
            Assert.All(json.RootElement.GetProperty("faces").EnumerateArray(), f => Assert.Equal(System.Text.Json.JsonValueKind.Null, f.GetProperty("iris").ValueKind));
    }

    [Fact]
    public void CountGoesOnPastABadImageAndWritesItsCsvWhole()
    {
        string bad = Path.Combine(Root, "bad.jpg"), csv = Path.Combine(Root, "faces.csv");
        File.WriteAllText(bad, "not a jpeg");
        using var faces = new FaceUseCases(IFetchProgress.Silent);
        var result = faces.Count(Request([Photo(1), bad], csv));
        Assert.Equal(new BatchOutcome(1, 2), result.Outcome);
        Assert.NotNull(result.Images[1].Error);
        Assert.Equal($"image,faces\n{Photo(1)},3\n", File.ReadAllText(csv)); // the bad image has no line
        Assert.Contains("already exists", Assert.Throws<IOException>(() => faces.Count(Request([Photo(1)], csv))).Message);
    }

    [Theory]
    [InlineData("a.jpg", 2, "a.jpg,2")]
    [InlineData("x,y.jpg", 1, "\"x,y.jpg\",1")]
    [InlineData("say \"hi\".jpg", 0, "\"say \"\"hi\"\".jpg\",0")]
    public void CountsCsvQuotesNamesWithCommasAndQuotes(string file, int n, string line) => Assert.Equal(line, FaceUseCases.CsvLine(file, n));

    [Fact]
    public void VerifyNeedsExactlyTwoImages()
    {
        using var faces = new FaceUseCases(IFetchProgress.Silent);
        Assert.Contains("compares two images, got 1", Assert.Throws<UsageException>(() => faces.Verify(Request([Photo(1)]))).Message);
    }
}
