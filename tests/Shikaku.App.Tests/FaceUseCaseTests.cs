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
