using System.Text.Json;
using Shikaku.Assets;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;
using static Shikaku.Cli.Tests.TestConsole;

namespace Shikaku.Cli.Tests;

/// <summary>The CLI as scripts meet it: stdout for results, stderr for the rest, exit codes, JSON, defaults in --help.</summary>
public sealed class ScriptingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shikaku-scripting").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"];

    private static JsonElement Json(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout); // one document, nothing else on stdout
        return doc.RootElement.Clone();
    }

    [Fact]
    public void ResultsGoToStdoutAndEverythingElseToStderr()
    {
        var (code, stdout, stderr) = RunSplit("conv1d", "--data", "0 1 0 1 0 0 1 1 1 0", "--kernel", "1 0 1");
        Assert.Equal((0, "0 2 0 1 1 1 2 1\n", ""), (code, stdout, stderr));

        (code, stdout, stderr) = RunSplit("conv1d", "--data", "1 2", "--kernal", "1");
        Assert.Equal((2, ""), (code, stdout));
        Assert.StartsWith("error: 'conv1d' does not know --kernal", stderr);

        string output = Path.Combine(_dir, "edges.png");
        (code, stdout, stderr) = RunSplit("filter", Photo(3), "--kernel", "sobel", "-o", output);
        Assert.Equal((0, ""), (code, stdout));
        Assert.Contains($"-> {output}", stderr);
    }

    [Fact]
    public void ConvolutionAndPoolingGiveTheirTraceAsOneJsonDocument()
    {
        var (code, stdout, _) = RunSplit("conv2d", "--matrix", "0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1", "--kernel", "1 0 1; 1 1 1; 0 0 1", "--json");
        Assert.Equal(0, code);
        var doc = Json(stdout);
        Assert.Equal("conv", doc.GetProperty("operation").GetString());
        Assert.Equal("[[4,3,5],[4,3,5],[4,3,5]]", doc.GetProperty("output").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal(9, doc.GetProperty("steps").GetArrayLength());
        var first = doc.GetProperty("steps")[0];
        Assert.Equal(4, first.GetProperty("value").GetSingle());
        Assert.Equal(4, first.GetProperty("products").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(v => v.GetSingle()));
        Assert.Equal([3, 3], doc.GetProperty("geometry").GetProperty("output").EnumerateArray().Select(v => v.GetInt32()));

        (code, stdout, _) = RunSplit("pool", "--matrix", "4 8; 7 1", "--size", "2", "--json");
        doc = Json(stdout);
        Assert.Equal((0, "max pool", 8f), (code, doc.GetProperty("operation").GetString(), doc.GetProperty("output")[0][0].GetSingle()));
        Assert.True(doc.GetProperty("steps")[0].GetProperty("products").ValueKind == JsonValueKind.Null);

        (code, stdout, _) = RunSplit("conv1d", "--data", "1 2 3", "--kernel", "1 1", "--padding", "1", "--json");
        doc = Json(stdout);
        Assert.Equal("[[1,3,5,3]]", doc.GetProperty("output").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.True(doc.GetProperty("steps")[0].GetProperty("padded")[0][0].GetBoolean());

        (code, stdout, _) = RunSplit("info", "--json");
        doc = Json(stdout);
        Assert.Equal(0, code);
        Assert.True(doc.GetProperty("threads").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(doc.GetProperty("simd").GetString()));
    }

    [Fact]
    public void HelpShowsEveryOptionWithItsDefaultAndTheExitCodes()
    {
        foreach (var command in Program.Commands)
        {
            var (code, stdout, _) = RunSplit("help", command.Name);
            Assert.Equal(0, code);
            foreach (var option in command.Options)
            {
                Assert.Contains(option.Name, stdout);
                if (option.Default != null) Assert.Contains($"(default: {option.Default})", stdout);
            }
            Assert.Contains("Exit codes: 0 ok, 1 failed", stdout);
        }
        var train = RunSplit("train", "--help").Stdout;
        Assert.Contains("--lr X", train);
        Assert.Contains("(default: 0.001)", train);
        Assert.Contains("(default: 128)", train);
        Assert.Contains("3 faces verify: different people", RunSplit("faces", "--help").Stdout);
    }

    [Theory]
    [InlineData("--lr", "abc", "--lr 'abc' is not a number")]
    [InlineData("--lr", "NaN", "--lr 'NaN' is not a number")]
    [InlineData("--lr", "Infinity", "--lr 'Infinity' is not a number")]
    [InlineData("--lr", "-0.01", "--lr -0.01 is out of range")]
    [InlineData("--lr", "0", "--lr 0 is out of range")]
    [InlineData("--lr", "1e30", "--lr 1e30 is out of range")]
    [InlineData("--lr-schedule", "step:x:0.5", "--lr-schedule 'step:x:0.5' is not step:EPOCHS:FACTOR")]
    [InlineData("--lr-schedule", "step:2:1e30", "0 < FACTOR <= 1")]
    [InlineData("--lr-schedule", "step:2:NaN", "0 < FACTOR <= 1")]
    [InlineData("--lr-schedule", "step:1:0.000001", "makes the learning rate")]
    [InlineData("--epochs", "ten", "--epochs 'ten' is not a whole number")]
    [InlineData("--batch-size", "0", "--batch-size 0 is out of range")]
    [InlineData("--model", "conv:0,pool", "'conv:0': '0' is not a whole number in 1..512")]
    [InlineData("--model", "conv:8,lstm:4", "'lstm:4' is not a layer")]
    public void BadTrainingNumbersAreRefusedBeforeAnythingIsLoadedOrMade(string option, string value, string expected)
    {
        string run = Path.Combine(_dir, "run");
        var (code, stdout, stderr) = RunSplit("train", "--dataset", "mnist", option, value, "--out", run);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("Preparing", stderr); // no data set was loaded
        Assert.False(Directory.Exists(run), "a refused run left a folder behind");
    }

    [Fact]
    public void RunsWithoutOutTakeTheNextFreeFolderAndARunFolderIsLockedWhileInUse()
    {
        // RunFolder.NextFree's assertions moved to Shikaku.App.Tests (RunTests.TheNextFreeRunFolderSkipsFoldersThatHoldFiles).
        // Two runs into one new folder: the second is refused while the first holds it.
        string shared = Path.Combine(_dir, "shared-run");
        using (RunFolder.Lock(shared))
        {
            var (code, _, stderr) = RunSplit("train", "--model", "mlp", "--epochs", "1", "--limit", "100", "--out", shared);
            Assert.Equal(1, code);
            Assert.Contains("in use by another shikaku train", stderr);
        }
        Assert.Empty(Directory.GetFileSystemEntries(shared)); // the lock goes with the run
    }

    /// <summary>An untrained MLP saved as a run folder: enough to exercise evaluate/predict's file handling.</summary>
    private string UntrainedRun() => App.Tests.RunFixtures.UntrainedRun(_dir);

    private string Digit(string name) => App.Tests.RunFixtures.Digit(_dir, name);

    [Theory]
    [InlineData("{ not json", "run.json is not valid JSON")]
    [InlineData("[1, 2]", "run.json is not a JSON object")]
    [InlineData("{\"dataset\": 5}", "\"dataset\" is 5")]
    [InlineData("{\"dataset\": \"cifar\"}", "\"dataset\" is \"cifar\"")]
    [InlineData("{\"classes\": [1, 2]}", "\"classes\" must be a list of names")]
    public void ADamagedRunJsonIsAUserErrorNamingTheFile(string content, string expected)
    {
        string run = UntrainedRun();
        File.WriteAllText(Path.Combine(run, "run.json"), content);
        var (code, stdout, stderr) = RunSplit("predict", run, Digit("one.png"));
        Assert.Equal(1, code);
        Assert.Contains(expected, stdout + stderr);
        Assert.DoesNotContain("internal error", stderr);
        if (!content.Contains("classes", StringComparison.Ordinal))
        {
            (code, _, stderr) = RunSplit("evaluate", run);
            Assert.Equal(1, code);
            Assert.Contains(expected, stderr);
        }
    }

    [Fact]
    public void PredictTakesManyImagesAndFoldersAndGoesOnPastABadOne()
    {
        string run = UntrainedRun();
        string folder = Path.Combine(_dir, "digits");
        Directory.CreateDirectory(folder);
        File.Move(Digit("a.png"), Path.Combine(folder, "a.png"));
        File.Move(Digit("b.png"), Path.Combine(folder, "b.png"));
        string broken = Path.Combine(_dir, "broken.png");
        File.WriteAllBytes(broken, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var (code, stdout, stderr) = RunSplit("predict", run, folder, broken, "--json");
        Assert.Equal(1, code);
        var doc = Json(stdout);
        var predictions = doc.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(3, predictions.Count);
        Assert.Equal(Path.Combine(folder, "a.png"), predictions[0].GetProperty("image").GetString());
        Assert.Equal(10, predictions[0].GetProperty("probabilities").GetArrayLength());
        Assert.InRange(predictions[1].GetProperty("probabilities").EnumerateArray().Sum(p => p.GetProperty("probability").GetDouble()), 0.999, 1.001);
        Assert.Contains("broken.png", predictions[2].GetProperty("error").GetString());
        Assert.Contains("broken.png", stderr);
        Assert.Contains("1 of 3 image(s) failed", stderr);
    }

    [Fact]
    public void EvaluateWritesNothingUnlessAskedAndNeverReplacesAFile()
    {
        string run = UntrainedRun();
        var before = Directory.GetFiles(run).Order().ToList();
        string plot = Path.Combine(_dir, "confusion.png");
        File.WriteAllText(plot, "mine");
        var (code, _, stderr) = RunSplit("evaluate", run, "--out", plot);
        Assert.Equal(1, code);
        Assert.Contains("--overwrite", stderr);
        Assert.Equal("mine", File.ReadAllText(plot));
        Assert.Equal(before, Directory.GetFiles(run).Order().ToList());
    }

    [Fact]
    public void DemoReplacesOnlyItsOwnOutput()
    {
        string dir = Path.Combine(_dir, "demo");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "faces.jpg"), "my holiday photo");
        var (code, _, stderr) = RunSplit("demo", "--out", dir, "--photo", Photo(3));
        Assert.Equal(1, code);
        Assert.Contains("faces.jpg exists and was not written by shikaku demo", stderr);
        Assert.Equal("my holiday photo", File.ReadAllText(Path.Combine(dir, "faces.jpg")));
        Assert.False(File.Exists(Path.Combine(dir, "index.html")));
    }

    [Fact]
    public void FacesCountGoesOnPastABadImageAndWritesItsCsvWhole()
    {
        string broken = Path.Combine(_dir, "broken.jpg");
        File.WriteAllBytes(broken, [0xFF, 0xD8, 0xFF, 0xE0, 0, 16]);
        string csv = Path.Combine(_dir, "faces.csv");
        var (code, stdout, stderr) = RunSplit("faces", "count", broken, Photo(1), "--out", csv);
        Assert.Equal((1, ""), (code, stdout));
        Assert.Contains("broken.jpg", stderr);
        Assert.Equal(["image,faces", $"{Photo(1)},3"], File.ReadAllLines(csv));

        (code, stdout, _) = RunSplit("faces", "count", Photo(1), Photo(5), "--json");
        var doc = Json(stdout);
        Assert.Equal((0, 8), (code, doc.GetProperty("total").GetInt32()));
        Assert.Equal(5, doc.GetProperty("images")[1].GetProperty("faces").GetInt32());
    }

    [Fact]
    public void FacesDetectAndAnalyzeGiveJsonWithoutDescriptorsOnStdout()
    {
        var (code, stdout, _) = RunSplit("faces", "analyze", Photo(1), "--json");
        Assert.Equal(0, code);
        var image = Json(stdout).GetProperty("images")[0];
        Assert.Equal(3, image.GetProperty("faces").GetArrayLength());
        var face = image.GetProperty("faces")[0];
        Assert.Equal(68, face.GetProperty("landmarks").GetArrayLength());
        Assert.Equal(7, face.GetProperty("expressions").EnumerateObject().Count());
        Assert.Equal(JsonValueKind.Null, face.GetProperty("descriptor").ValueKind); // biometric: only into a file the user names
        Assert.Equal(JsonValueKind.Number, face.GetProperty("age").ValueKind);
    }

    [Fact]
    public void FacesEncodeWritesDescriptorsOnlyWhenAskedWithTheModelId()
    {
        var (code, stdout, stderr) = RunSplit("faces", "encode", Photo(2));
        Assert.Equal(0, code);
        Assert.DoesNotContain("[", stdout);
        Assert.Contains("nothing is written unless", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));

        string output = Path.Combine(_dir, "descriptors.json");
        (code, _, stderr) = RunSplit("faces", "encode", Photo(2), "--out", output);
        Assert.Equal(0, code);
        Assert.Contains("biometric", stderr);
        var doc = Json(File.ReadAllText(output));
        Assert.Equal(Vision.Faces.FaceAnalyzer.DescriptorModelId, doc.GetProperty("descriptorModel").GetString());
        Assert.Equal(128, doc.GetProperty("images")[0].GetProperty("faces")[0].GetProperty("descriptor").GetArrayLength());
        Assert.Equal(1, RunSplit("faces", "encode", Photo(2), "--out", output).Code);

        (code, stdout, _) = RunSplit("faces", "encode", Photo(2), "--json");
        Assert.Equal(128, Json(stdout).GetProperty("images")[0].GetProperty("faces")[0].GetProperty("descriptor").GetArrayLength());
    }

    [Fact]
    public void VerifyExitsThreeForDifferentPeopleAndIdentifyReadsAFlatGallery()
    {
        // Two faces of sample1 that the network tells apart (distance over the threshold), cropped with a margin.
        var photo = ImageCodec.Load(Photo(1)).ToRgb();
        using var analyzer = new Vision.Faces.FaceAnalyzer();
        var faces = analyzer.Analyze(photo, new Vision.Faces.FaceAnalysisOptions { Expressions = false, AgeGender = false });
        var (a, b) = (from i in Enumerable.Range(0, faces.Count) from j in Enumerable.Range(i + 1, faces.Count - i - 1) select (faces[i], faces[j]))
            .MaxBy(p => Vision.Faces.FaceAnalyzer.Distance(p.Item1.Descriptor, p.Item2.Descriptor));
        string Crop(Vision.Faces.Face f, string name)
        {
            var box = f.Detection.Box;
            int x = Math.Max(0, (int)(box.X - box.Width / 2)), y = Math.Max(0, (int)(box.Y - box.Height / 2));
            int w = Math.Min(photo.Width - x, (int)(box.Width * 2)), h = Math.Min(photo.Height - y, (int)(box.Height * 2));
            string path = Path.Combine(_dir, name);
            ImageCodec.Save(photo.Crop(x, y, w, h), path);
            return path;
        }
        string first = Crop(a, "first.png"), second = Crop(b, "second.png");
        var (code, stdout, _) = RunSplit("faces", "verify", first, second, "--json");
        var doc = Json(stdout);
        Assert.Equal(ExitCodes.Different, code);
        Assert.False(doc.GetProperty("samePerson").GetBoolean());
        Assert.True(doc.GetProperty("distance").GetDouble() > doc.GetProperty("threshold").GetDouble());
        Assert.Equal(ExitCodes.Ok, RunSplit("faces", "verify", first, first).Code);

        // face_recognition's layout: known/<name>.jpg.
        string known = Path.Combine(_dir, "known");
        Directory.CreateDirectory(known);
        File.Copy(first, Path.Combine(known, "ann.png"));
        (code, stdout, _) = RunSplit("faces", "identify", "--known", known, second, first, "--json");
        doc = Json(stdout);
        Assert.Equal(0, code);
        Assert.Equal(["ann"], doc.GetProperty("gallery").GetProperty("people").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("unknown", doc.GetProperty("images")[0].GetProperty("faces")[0].GetProperty("name").GetString());
        Assert.Equal("ann", doc.GetProperty("images")[1].GetProperty("faces")[0].GetProperty("name").GetString());

        // A gallery photo that cannot be read is reported, the rest is used, and the exit says so.
        File.WriteAllBytes(Path.Combine(known, "bob.jpg"), [0xFF, 0xD8, 0xFF]);
        (code, _, var stderr) = RunSplit("faces", "identify", "--known", known, first);
        Assert.Equal(1, code);
        Assert.Contains("bob.jpg", stderr);
        Assert.Contains("left out", stderr);
    }
}
