using System.Diagnostics;
using Shikaku.Formats;
using Shikaku.Testing;

namespace Shikaku.Tests;

/// <summary>
/// A TF.js manifest is untrusted: it must not make the loader read outside its folder, block on a FIFO,
/// allocate what the files do not hold, or load values that are not weights.
/// </summary>
public sealed class HostileManifestTests : HostileFolderTest
{
    private string Model => ModelFolder;

    // The secret: 16 bytes, a valid [4] float32 shard.
    public HostileManifestTests() : base("shikaku-manifest", secretBytes: 16)
    {
        Directory.CreateDirectory(Path.Combine(Root, "model-evil"));
        File.WriteAllBytes(Path.Combine(Root, "model-evil", "x.bin"), new byte[16]);
    }

    private string Manifest(string json, params (string Name, byte[] Bytes)[] shards) => ManifestFiles.Write(Model, json, shards);

    private static string OneWeight(string path, string weight = """{"name": "w", "shape": [4], "dtype": "float32"}""") =>
        $$"""[{"paths": [{{System.Text.Json.JsonSerializer.Serialize(path)}}], "weights": [{{weight}}]}]""";

    /// <summary>Loading fails (within a minute: a hang would be forever) with <typeparamref name="T"/> naming the manifest.</summary>
    private static T Refused<T>(string manifest) where T : Exception
    {
        var load = Task.Run(() => TfjsWeights.Load(manifest));
        Assert.True(Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(60))).Result == load, $"loading {manifest} did not return within 60 s");
        Assert.True(load.IsFaulted, "the manifest was accepted");
        var e = Assert.IsType<T>(load.Exception!.InnerException);
        return e;
    }

    [Fact]
    public void AShardInsideTheFolderLoads()
    {
        using var w = TfjsWeights.Load(Manifest(OneWeight("w.bin"), ("w.bin", new byte[16])));
        Assert.Equal(new float[4], w.Get("w", 4).ToArray());
        Directory.CreateDirectory(Path.Combine(Model, "sub"));
        File.WriteAllBytes(Path.Combine(Model, "sub", "w.bin"), new byte[16]);
        using var nested = TfjsWeights.Load(Manifest(OneWeight("sub/../sub/w.bin")));
        Assert.Contains("w", nested.Names);
    }

    public static TheoryData<string> EscapingPaths => ["../secret.bin", "sub/../../secret.bin", "../model-evil/x.bin", "", "."];

    [Theory]
    [MemberData(nameof(EscapingPaths))]
    public void APathLeavingTheFolderIsRefused(string path)
    {
        Directory.CreateDirectory(Path.Combine(Model, "sub"));
        var e = Refused<ModelFormatException>(Manifest(OneWeight(path)));
        Assert.Contains("outside the model folder", e.Message);
        Assert.Contains("m-weights_manifest.json", e.Message);
    }

    [Fact]
    public void AnAbsolutePathIsRefused()
    {
        Assert.Contains("outside the model folder", Refused<ModelFormatException>(Manifest(OneWeight(Path.Combine(Root, "secret.bin")))).Message);
        // Even one that points into the folder is a path the manifest should not give; it is resolved as given.
        using var inside = TfjsWeights.Load(Manifest(OneWeight(Path.Combine(Model, "w.bin")), ("w.bin", new byte[16])));
        Assert.Contains("w", inside.Names);
    }

    [Fact]
    public void SymbolicLinksLeadingOutsideAreRefused()
    {
        if (OperatingSystem.IsWindows()) return;
        File.CreateSymbolicLink(Path.Combine(Model, "link.bin"), Path.Combine(Root, "secret.bin"));
        Assert.Contains("outside the model folder", Refused<ModelFormatException>(Manifest(OneWeight("link.bin"))).Message);
        // A relative link, and a link to a link.
        File.CreateSymbolicLink(Path.Combine(Model, "relative.bin"), "../secret.bin");
        Assert.Contains("outside the model folder", Refused<ModelFormatException>(Manifest(OneWeight("relative.bin"))).Message);
        File.CreateSymbolicLink(Path.Combine(Model, "chain.bin"), Path.Combine(Model, "relative.bin"));
        Assert.Contains("outside the model folder", Refused<ModelFormatException>(Manifest(OneWeight("chain.bin"))).Message);
        // A folder inside that is a link to one outside.
        Directory.CreateSymbolicLink(Path.Combine(Model, "shards"), Root);
        Assert.Contains("outside the model folder", Refused<ModelFormatException>(Manifest(OneWeight("shards/secret.bin"))).Message);
    }

    [Fact]
    public void SymbolicLinksStayingInsideAndAModelFolderReachedThroughALinkAreFine()
    {
        if (OperatingSystem.IsWindows()) return;
        File.WriteAllBytes(Path.Combine(Model, "real.bin"), new byte[16]);
        File.CreateSymbolicLink(Path.Combine(Model, "alias.bin"), "real.bin");
        string manifest = Manifest(OneWeight("alias.bin"));
        using (var w = TfjsWeights.Load(manifest)) Assert.Contains("w", w.Names);
        string linkedFolder = Path.Combine(Root, "linked");
        Directory.CreateSymbolicLink(linkedFolder, Model);
        using var viaLink = TfjsWeights.Load(Path.Combine(linkedFolder, "m-weights_manifest.json"));
        Assert.Contains("w", viaLink.Names);
    }

    [Fact]
    public void FifosDevicesAndOversizedManifestsAreRefusedAtOnce()
    {
        if (OperatingSystem.IsWindows()) return;
        string fifo = Path.Combine(Model, "fifo.bin");
        using (var p = Process.Start("mkfifo", fifo)) p.WaitForExit();
        Assert.Contains("FIFO", Refused<IOException>(Manifest(OneWeight("fifo.bin"))).Message);

        string manifest = Path.Combine(Model, "m-weights_manifest.json");
        File.Delete(manifest);
        using (var p = Process.Start("mkfifo", manifest)) p.WaitForExit();
        Assert.Contains(manifest, Refused<IOException>(manifest).Message);
        File.Delete(manifest);
        File.CreateSymbolicLink(manifest, "/dev/zero");
        Assert.Contains("character device", Refused<IOException>(manifest).Message);
        File.Delete(manifest);
        using (var f = new FileStream(manifest, FileMode.Create)) f.SetLength(TfjsWeights.MaxManifestBytes + 1);
        Assert.Contains(manifest, Refused<IOException>(manifest).Message);
    }

    public static TheoryData<string, string> LyingManifests => new()
    {
        { "top level object", """{"paths": []}""" },
        { "group not an object", "[1]" },
        { "paths missing", """[{"weights": []}]""" },
        { "paths not an array", """[{"paths": "w.bin", "weights": []}]""" },
        { "path a number", """[{"paths": [1], "weights": []}]""" },
        { "weights missing", """[{"paths": ["w.bin"]}]""" },
        { "weight a string", """[{"paths": ["w.bin"], "weights": ["w"]}]""" },
        { "no name", """[{"paths": ["w.bin"], "weights": [{"shape": [4], "dtype": "float32"}]}]""" },
        { "negative dimension", OneWeight("w.bin", """{"name": "w", "shape": [-4], "dtype": "float32"}""") },
        { "negatives multiplying to the right size", OneWeight("w.bin", """{"name": "w", "shape": [-2, -2], "dtype": "float32"}""") },
        { "product overflow", OneWeight("w.bin", """{"name": "w", "shape": [2147483647, 2147483647, 2147483647, 2147483647], "dtype": "float32"}""") },
        { "too many values", OneWeight("w.bin", """{"name": "w", "shape": [65536, 65536], "dtype": "float32"}""") },
        { "group too large", """[{"paths": ["w.bin"], "weights": [{"name": "a", "shape": [2000000000], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 1, "min": 0}}, {"name": "b", "shape": [2000000000], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 1, "min": 0}}]}]""" },
        { "dimension 1e10", OneWeight("w.bin", """{"name": "w", "shape": [1e10], "dtype": "float32"}""") },
        { "dimension a string", OneWeight("w.bin", """{"name": "w", "shape": ["4"], "dtype": "float32"}""") },
        { "shape missing", OneWeight("w.bin", """{"name": "w", "dtype": "float32"}""") },
        { "dtype float64", OneWeight("w.bin", """{"name": "w", "shape": [2], "dtype": "float64"}""") },
        { "dtype missing", OneWeight("w.bin", """{"name": "w", "shape": [4]}""") },
        { "quantization int4", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": {"dtype": "int4", "scale": 1, "min": 0}}""") },
        { "quantization without dtype", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": {"scale": 1, "min": 0}}""") },
        { "quantization without scale", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": {"dtype": "uint8", "min": 0}}""") },
        { "quantization without min", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5}}""") },
        { "scale a string", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": "0.5", "min": 0}}""") },
        { "quantization not an object", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": "uint8"}""") },
        { "scale making infinities", OneWeight("w.bin", """{"name": "w", "shape": [16], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 1e300, "min": 0}}""") },
        { "shard larger than described", OneWeight("w.bin", """{"name": "w", "shape": [2], "dtype": "float32"}""") },
        { "shard smaller than described", OneWeight("w.bin", """{"name": "w", "shape": [5], "dtype": "float32"}""") },
        { "duplicate keys", """[{"paths": ["w.bin"], "paths": ["x.bin"], "weights": []}]""" },
        { "a weight named twice", """[{"paths": ["w.bin"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}, {"name": "w", "shape": [2], "dtype": "float32"}]}]""" },
        { "deeply nested", new string('[', 10_000) + new string(']', 10_000) },
    };

    [Theory]
    [MemberData(nameof(LyingManifests))]
    public void ALyingManifestIsAModelFormatErrorNamingTheFile(string what, string json)
    {
        byte[] shard = new byte[16];
        shard[0] = 1; // uint8 code 1 times the scale
        var e = Refused<ModelFormatException>(Manifest(json, ("w.bin", shard)));
        Assert.Contains("m-weights_manifest.json", e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void NaNWeightsAreRefusedByName()
    {
        var bytes = BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(float.NaN)).Concat(new byte[8]).ToArray();
        var e = Refused<ModelFormatException>(Manifest(OneWeight("w.bin"), ("w.bin", bytes)));
        Assert.Contains("'w' holds NaN", e.Message);
    }
}
