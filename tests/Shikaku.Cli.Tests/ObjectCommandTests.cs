using System.Text.Json;
using Shikaku.Assets;
using Shikaku.Formats;
using Shikaku.Tensors;
using Shikaku.Testing;
using static Shikaku.Cli.Tests.TestConsole;

namespace Shikaku.Cli.Tests;

/// <summary>detect, count people and models list|info|run from the command line, as a user runs them.</summary>
public sealed class ObjectCommandTests() : TempFolderTest("shikaku-objects")
{
    private static string Darknet(string name) => AssetCache.Fetch(KnownAssets.DarknetPhotos)[$"usr/share/darknet/data/{name}"];

    [Fact]
    public void DetectPrintsWhatItFoundAndWritesNothingUnlessAsked()
    {
        int before = Directory.GetFiles(Root, "*", SearchOption.AllDirectories).Length;
        var (code, text) = Run("detect", Darknet("dog.jpg"));
        Assert.True(code == 0, text);
        Assert.Contains("dog", text);
        Assert.Contains("bicycle", text);
        Assert.Contains("ms inference", text);
        Assert.Equal(before, Directory.GetFiles(Root, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void DetectWritesAnAnnotatedPngJsonAndCsvThenRefusesToOverwrite()
    {
        string output = In("out"), csv = In("objects.csv");
        var (code, stdout, stderr) = RunSplit("detect", Darknet("dog.jpg"), Darknet("person.jpg"), "--out", output, "--csv", csv, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("centernet", doc.RootElement.GetProperty("model").GetString());
        var images = doc.RootElement.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(2, images.Count);
        var objects = images[0].GetProperty("objects").EnumerateArray().ToList();
        Assert.Contains(objects, o => o.GetProperty("name").GetString() == "dog" && o.GetProperty("class").GetInt32() == 16);
        var box = objects[0].GetProperty("box");
        var normalized = objects[0].GetProperty("normalized");
        Assert.Equal(box.GetProperty("x2").GetDouble() / 768, normalized.GetProperty("x2").GetDouble(), 4);
        Assert.True(images[0].GetProperty("speedMs").GetProperty("inference").GetDouble() > 0);
        // The annotated image carries no metadata; its JSON is the same document as the --json entry.
        var png = Vision.Imaging.ImageCodec.Load(Path.Combine(output, "dog.png"), new Vision.Imaging.ImageLoadOptions { KeepMetadata = true });
        Assert.Null(png.Exif);
        Assert.Equal((768, 576), (png.Width, png.Height));
        using var perImage = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "dog.json")));
        Assert.Equal(objects.Count, perImage.RootElement.GetProperty("objects").GetArrayLength());
        var rows = File.ReadAllLines(csv);
        Assert.Equal("image,class,name,confidence,x1,y1,x2,y2", rows[0]);
        Assert.Equal(objects.Count + images[1].GetProperty("objects").GetArrayLength(), rows.Length - 1);
        Assert.Contains(rows, r => r.Contains(",0,person,", StringComparison.Ordinal));
        // Again: refused, nothing changed.
        var before = File.ReadAllBytes(csv);
        var (again, text) = Run("detect", Darknet("dog.jpg"), "--csv", csv);
        Assert.Equal(1, again);
        Assert.Contains("--overwrite", text);
        Assert.Equal(before, File.ReadAllBytes(csv));
    }

    [Fact]
    public void AClassFilterAndNanoDetAreHonoured()
    {
        var (code, stdout, stderr) = RunSplit("detect", Darknet("person.jpg"), "--model", "nanodet", "--classes", "person,horse", "--min-score", "0.3", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("nanodet", doc.RootElement.GetProperty("model").GetString());
        var names = doc.RootElement.GetProperty("images")[0].GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("name").GetString()).ToList();
        Assert.Contains("person", names);
        Assert.Contains("horse", names);
        Assert.All(names, n => Assert.True(n is "person" or "horse", n));
    }

    [Theory]
    [InlineData(new[] { "detect" }, "Give the images")]
    [InlineData(new[] { "detect", "x.jpg", "--model", "yolo" }, "--model 'yolo' is not a detector")]
    [InlineData(new[] { "detect", "x.jpg", "--classes", "unicorn" }, "'unicorn' is not a COCO class")]
    [InlineData(new[] { "detect", "x.jpg", "--min-score", "2" }, "--min-score")]
    [InlineData(new[] { "detect", "x.jpg", "--tile", "10" }, "--tile 10 is too small")]
    [InlineData(new[] { "count", "cars", "x.jpg" }, "count counts people")]
    [InlineData(new[] { "count", "people", "x.jpg", "--classes", "car" }, "leave out --classes")]
    [InlineData(new[] { "models" }, "models needs a subcommand")]
    [InlineData(new[] { "models", "info" }, "models info takes one model name")]
    [InlineData(new[] { "models", "info", "yolo" }, "There is no graph model 'yolo'")]
    [InlineData(new[] { "models", "run", "age", "--input", "x.npy", "--output", "y.txt" }, "give a .npz file")]
    public void BadRequestsAreUsageErrors(string[] args, string expected)
    {
        var (code, text) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, text);
    }

    [Fact]
    public void CountPeopleCountsThePersonBoxes()
    {
        var (code, stdout, stderr) = RunSplit("count", "people", Darknet("person.jpg"), "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(1, doc.RootElement.GetProperty("images")[0].GetProperty("people").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("total").GetInt32());
    }

    [Fact]
    public void AnUnreadableImageIsNamedAndTheBatchGoesOn()
    {
        string bad = Write("broken.jpg", [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        var (code, stdout, stderr) = RunSplit("detect", bad, Darknet("eagle.jpg"), "--json");
        Assert.Equal(1, code);
        Assert.Contains("broken.jpg", stderr);
        using var doc = JsonDocument.Parse(stdout);
        var images = doc.RootElement.GetProperty("images");
        Assert.True(images[0].TryGetProperty("error", out _));
        Assert.Equal("bird", images[1].GetProperty("objects")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void ModelsListAndInfoDescribeTheGraphModels()
    {
        var (code, text) = Run("models", "list");
        Assert.Equal(0, code);
        foreach (var id in new[] { "centernet", "nanodet", "blazeface", "facemesh", "selfie" }) Assert.Contains(id, text);
        var (infoCode, stdout, stderr) = RunSplit("models", "info", "nanodet", "--json");
        Assert.True(infoCode == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal("NCHW", r.GetProperty("input").GetProperty("layout").GetString());
        Assert.Equal("BGR", r.GetProperty("input").GetProperty("colors").GetString());
        Assert.Equal([1, 3, 416, 416], r.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(6, r.GetProperty("outputs").GetArrayLength());
        Assert.Empty(r.GetProperty("missingOps").EnumerateArray());
        Assert.True(r.GetProperty("parameters").GetInt64() > 100_000);
        Assert.Contains("MIT", r.GetProperty("licence").GetString());
    }

    [Fact]
    public void ModelsRunReadsNumpyAndWritesEveryOutputByName()
    {
        // A 64x64 grey face-sized input for the emotion net (its one output: 7 probabilities).
        var rng = new Random(3);
        using var x = Tensor.FromArray(Enumerable.Range(0, 64 * 64).Select(_ => rng.NextSingle() * 2 - 1).ToArray(), 1, 64, 64, 1);
        string input = In("x.npy"), npz = In("y.npz"), npy = In("y.npy");
        Npy.Write(input, x, overwrite: false);
        var (code, stdout, stderr) = RunSplit("models", "run", "emotion", "--input", input, "--output", npz, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal([1, 7], doc.RootElement.GetProperty("outputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        using var outputs = Npy.ReadNpz(npz);
        var p = Assert.Single(outputs).Value.ToArray<float>();
        Assert.Equal(1.0, p.Sum(), 4); // a softmax
        Assert.Equal(0, Run("models", "run", "emotion", "--input", input, "--output", npy).Code);
        Assert.Equal(p, Npy.Read(npy).ToArray<float>());
        // Wrong shape and wrong dtype are named; a .npy for a model with several outputs is refused.
        Npy.Write(In("wrong.npy"), Tensor.Zeros(1, 32, 32, 1), overwrite: false);
        var (bad, text) = Run("models", "run", "emotion", "--input", In("wrong.npy"), "--output", In("z.npz"));
        Assert.Equal(2, bad);
        Assert.Contains("must be [any, 64, 64, 1]", text);
        Npy.Write(In("ints.npy"), Tensor.FromInt32(new int[64 * 64], 1, 64, 64, 1), overwrite: false);
        Assert.Contains("must be float32", Run("models", "run", "emotion", "--input", In("ints.npy"), "--output", In("z.npz")).Output);
        Assert.Contains("write them to a .npz", Run("models", "run", "faceres", "--input", input, "--output", In("f.npy")).Output);
        Assert.False(File.Exists(In("z.npz")));
    }
}
