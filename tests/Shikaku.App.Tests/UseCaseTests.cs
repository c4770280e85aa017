using System.Text.Json;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;

using Shikaku.Testing;

namespace Shikaku.App.Tests;

/// <summary>The use cases called directly, as a second front end (the web studio) will call them: no console, no process.</summary>
public sealed class UseCaseTests() : TempFolderTest("shikaku-app-usecase")
{
    [Fact]
    public void TracesGiveTheLecturesResults()
    {
        var conv1d = Traces.Conv1D(new Conv1DRequest("0 1 0 1 0 0 1 1 1 0", "1 0 1", new WindowSettings()));
        Assert.Equal(new float[,] { { 0, 2, 0, 1, 1, 1, 2, 1 } }, conv1d.Output);
        var conv2d = Traces.Conv2D(new Conv2DRequest("0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1", "1 0 1; 1 1 1; 0 0 1", new WindowSettings()));
        Assert.Equal(new float[,] { { 4, 3, 5 }, { 4, 3, 5 }, { 4, 3, 5 } }, conv2d.Output);
        Assert.Equal(9, conv2d.Trace.Steps.Count);
        var pool = Traces.Pool(new PoolMatrixRequest("4 8; 7 1", 2, null, "valid", Max: true));
        Assert.Equal(new float[,] { { 8 } }, pool.Output);
        var avg = Traces.Pool(new PoolMatrixRequest("4 8; 7 1", 2, null, "valid", Traces.ParsePoolMode("avg")));
        Assert.Equal(new float[,] { { 5 } }, avg.Output);
    }

    [Fact]
    public void WindowSettingsReachTheKernel()
    {
        // 1 2 3 4 5 padded by one zero each side, windows of 2 every 2: 0+1, 2+3, 4+5.
        Assert.Equal(new float[,] { { 1, 5, 9 } }, Traces.Conv1D(new Conv1DRequest("1 2 3 4 5", "1 1", new WindowSettings(Stride: 2, Padding: "1"))).Output);
        // Dilation 2: x[i] + x[i+2].
        Assert.Equal(new float[,] { { 4, 6, 8 } }, Traces.Conv1D(new Conv1DRequest("1 2 3 4 5", "1 1", new WindowSettings(Dilation: 2))).Output);
        var same = Traces.Conv2D(new Conv2DRequest("1 2 3; 4 5 6; 7 8 9", "1 1 1; 1 1 1; 1 1 1", new WindowSettings(Padding: "same")));
        Assert.Equal(new float[,] { { 12, 21, 16 }, { 27, 45, 33 }, { 24, 39, 28 } }, same.Output);
        Assert.Equal("conv2d of a 3x3 input with a 3x3 window: stride 1x1, dilation 1x1, padding top 1 bottom 1 left 1 right 1 -> 3x3 output",
            same.Geometry.Replace(same.Trace.Operation, "conv2d", StringComparison.Ordinal));
    }

    [Fact]
    public void ATracesJsonContractHoldsEveryWindow()
    {
        var r = Traces.Conv2D(new Conv2DRequest("1 2; 3 4", "1 0; 0 1", new WindowSettings()));
        using var doc = JsonDocument.Parse(Contract.Serialize(r.ToJson()));
        var root = doc.RootElement;
        Assert.Equal(5f, root.GetProperty("output")[0][0].GetSingle()); // 1*1 + 4*1
        Assert.Equal([2, 2], Ints(root.GetProperty("geometry").GetProperty("window")));
        Assert.Equal([1, 1], Ints(root.GetProperty("geometry").GetProperty("output")));
        var products = root.GetProperty("steps")[0].GetProperty("products");
        Assert.Equal([[1f, 0f], [0f, 4f]], products.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray());
        Assert.Equal(JsonValueKind.Null, Traces.Pool(new PoolMatrixRequest("1 2; 3 4", 2, null, "valid", true)).ToJson() is var p
            ? JsonDocument.Parse(Contract.Serialize(p)).RootElement.GetProperty("kernel").ValueKind : default);
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    [Theory]
    [InlineData("1 2; 3", "not rectangular")]
    [InlineData("1 x", "'x' is not a number")]
    public void BadMatricesAreUserErrorsNamingTheValue(string matrix, string expected)
    {
        var e = Assert.ThrowsAny<Exception>(() => Traces.Conv2D(new Conv2DRequest(matrix, "1", new WindowSettings())));
        Assert.True(UserErrors.IsUserError(e));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void APoolModeOtherThanMaxOrAvgIsAUsageError() =>
        Assert.Contains("--mode 'median' is not max or avg", Assert.Throws<UsageException>(() => Traces.ParsePoolMode("median")).Message);

    [Fact]
    public void EngineInfoIsTheEnginesAndItsJsonHasEveryField()
    {
        var info = EngineInfo.Current("1.2.3");
        Assert.Equal(Kernels.Engine.Threads, info.Threads);
        Assert.Equal(Kernels.Engine.Simd.ToString(), info.Simd);
        using var doc = JsonDocument.Parse(Contract.Serialize(info.ToJson()));
        Assert.Equal(["version", "simd", "hardware", "threads", "dotnet", "cache"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("1.2.3", doc.RootElement.GetProperty("version").GetString());
    }

    private string Photo(string name, int w = 40, int h = 30)
    {
        var px = new byte[w * h * 3];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)(i * 37 % 251);
        string path = Path.Combine(Root, name);
        ImageCodec.Save(new Image(w, h, 3, px), path);
        return path;
    }

    [Fact]
    public void FilterWritesExactlyWhatTheFilterComputes()
    {
        string input = Photo("in.png"), output = Path.Combine(Root, "out.png");
        var r = ImageUseCases.Filter(new FilterRequest(input, "gaussian:1", output, new ImageLoadOptions(), new ImageSaveOptions()));
        Assert.Equal(("40x30x3", output), (r.Size, r.Output));
        var expected = ImageFilters.Apply(ImageCodec.Load(input), FilterKernel.Parse("gaussian:1"));
        Assert.Equal(expected.Pixels, ImageCodec.Load(output).Pixels);
    }

    [Fact]
    public void PoolOfAPhotoShrinksItByTheWindow()
    {
        string input = Photo("in.png"), output = Path.Combine(Root, "small.png");
        var r = ImageUseCases.Pool(new PoolImageRequest(input, 4, Max: true, output, new ImageLoadOptions(), new ImageSaveOptions()));
        Assert.Equal((40, 30, 10, 7), (r.InWidth, r.InHeight, r.OutWidth, r.OutHeight));
        Assert.Equal(ImageFilters.Pool(ImageCodec.Load(input), 4, true).Pixels, ImageCodec.Load(output).Pixels);
    }

    [Fact]
    public void TheOutputPolicyRefusesToReplaceAndChecksBeforeAnyWork()
    {
        string input = Photo("in.png"), existing = Path.Combine(Root, "taken.png");
        File.WriteAllText(existing, "mine");
        var e = Assert.Throws<IOException>(() => ImageUseCases.Filter(new FilterRequest(Path.Combine(Root, "missing.png"), "box:3", existing, new ImageLoadOptions(), new ImageSaveOptions())));
        Assert.Contains("already exists; pass --overwrite", e.Message); // named before the missing input: no work was done
        Assert.Equal("mine", File.ReadAllText(existing));
        Assert.Contains("is a folder", Assert.Throws<UsageException>(() => OutputPolicy.OutputFile(Root, false, "x.csv")).Message);
        Assert.Contains("does not exist; create it first", Assert.Throws<IOException>(() => OutputPolicy.OutputFile(Path.Combine(Root, "no", "x.csv"), false, "x.csv")).Message);
        Assert.Equal(existing, OutputPolicy.OutputFile(existing, overwrite: true, "x.png"));
        ImageUseCases.Filter(new FilterRequest(input, "box:3", existing, new ImageLoadOptions(), new ImageSaveOptions { Overwrite = true }));
        Assert.Equal(40, ImageCodec.Load(existing).Width);
    }

    [Fact]
    public void AnOutputFolderRefusesCollidingStemsAndExistingFiles()
    {
        string a = Photo("a.png"), b = Path.Combine(Root, "sub");
        Directory.CreateDirectory(b);
        string a2 = Path.Combine(b, "a.jpg");
        File.Copy(a, a2);
        string outDir = Path.Combine(Root, "out");
        Assert.Contains("Two inputs are named a", Assert.Throws<UsageException>(() => OutputPolicy.OutputFolder(outDir, [a, a2], false, ".png")).Message);
        Assert.False(Directory.Exists(outDir));
        Assert.Equal(outDir, OutputPolicy.OutputFolder(outDir, [a], false, ".png", ".json"));
        File.WriteAllText(Path.Combine(outDir, "a.json"), "{}");
        Assert.Contains("a.json already exists", Assert.Throws<IOException>(() => OutputPolicy.OutputFolder(outDir, [a], false, ".png", ".json")).Message);
    }

    [Fact]
    public void FoldersExpandToTheirImagesInOrdinalOrder()
    {
        string dir = Path.Combine(Root, "photos");
        Directory.CreateDirectory(dir);
        string photo = Photo("x.png");
        foreach (var n in new[] { "b.png", "B.png", "a.jpg" }) File.Copy(photo, Path.Combine(dir, n));
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "");
        Assert.Equal(new[] { "B.png", "a.jpg", "b.png" }, OutputPolicy.Expand([dir], "test").Select(Path.GetFileName));
        Assert.Contains("does not exist", Assert.Throws<UsageException>(() => OutputPolicy.Expand([Path.Combine(Root, "nope")], "test")).Message);
        Directory.CreateDirectory(Path.Combine(Root, "empty"));
        Assert.Contains("needs at least one image", Assert.Throws<UsageException>(() => OutputPolicy.Expand([Path.Combine(Root, "empty")], "test")).Message);
    }

    [Fact]
    public void ABatchOutcomeSaysHowManyFailed()
    {
        Assert.True(new BatchOutcome(0, 3).Succeeded);
        Assert.Equal("2 of 5 image(s) failed (see above); the others were processed.", new BatchOutcome(2, 5).Summary);
    }
}
