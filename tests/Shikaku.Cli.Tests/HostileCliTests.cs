using System.Diagnostics;

namespace Shikaku.Cli.Tests;

/// <summary>
/// Hostile inputs through the real process: each ends in one clear error line and a non-zero exit,
/// within the time limit (a hang fails the test), never a crash, a stack trace or an internal error.
/// </summary>
public sealed class HostileCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shikaku-hostile").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void MakeFifo(string path)
    {
        using var p = Process.Start("mkfifo", [path]);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>A saved run folder of an untrained MLP, to be damaged by each case.</summary>
    private string Run()
    {
        string run = Path.Combine(_dir, "run");
        NN.Models.Create("mlp", 1).Save(run);
        return run;
    }

    private string Digit()
    {
        string path = Path.Combine(_dir, "digit.png");
        Vision.Imaging.ImageCodec.Save(new Vision.Imaging.Image(28, 28, 1, new byte[784]), path);
        return path;
    }

    private static void AssertOneClearError((int Code, string Stdout, string Stderr, TimeSpan Elapsed) r, int code, string expected)
    {
        Assert.True(r.Code == code, $"exit {r.Code}, stderr: {r.Stderr}");
        Assert.Contains(r.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain("internal error", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void SpecialFilesAsImagesAndModelsAreRefusedAtOnce()
    {
        if (!OperatingSystem.IsLinux()) return;
        string fifo = Path.Combine(_dir, "photo.png");
        MakeFifo(fifo);
        AssertOneClearError(ProcessTests.Shikaku(null, "filter", fifo, "-k", "box:3", "-o", Path.Combine(_dir, "out.png")), 1, "named pipe (FIFO)");
        AssertOneClearError(ProcessTests.Shikaku(null, "faces", "count", "/dev/zero"), 1, "character device");

        string run = Run();
        File.Delete(Path.Combine(run, "model.safetensors"));
        MakeFifo(Path.Combine(run, "model.safetensors"));
        AssertOneClearError(ProcessTests.Shikaku(null, "predict", run, Digit()), 1, "model.safetensors");

        File.Delete(Path.Combine(run, "model.json"));
        File.CreateSymbolicLink(Path.Combine(run, "model.json"), "/dev/zero");
        AssertOneClearError(ProcessTests.Shikaku(null, "evaluate", run), 1, "model.json");
    }

    [Fact]
    public void NaNWeightsAreAClearErrorNotAnAccuracy()
    {
        string run = Run();
        string weights = Path.Combine(run, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        // Every float of the data becomes NaN.
        for (long i = 8 + headerLength; i + 4 <= bytes.Length; i += 4) BitConverter.GetBytes(float.NaN).CopyTo(bytes, i);
        File.WriteAllBytes(weights, bytes);
        AssertOneClearError(ProcessTests.Shikaku(null, "predict", run, Digit()), 1, "NaN");
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{\"class_name\": \"Sequential\"}")]
    [InlineData("{\"class_name\": \"Sequential\", \"input_shape\": [28, 28, 1], \"layers\": [{\"class_name\": \"Dense\"}]}")]
    [InlineData("{\"input_shape\": \"28x28\", \"layers\": 7}")]
    public void ADamagedModelJsonNamesTheFile(string content)
    {
        string run = Run();
        File.WriteAllText(Path.Combine(run, "model.json"), content);
        AssertOneClearError(ProcessTests.Shikaku(null, "predict", run, Digit()), 1, "model.json");
    }

    [Theory]
    [InlineData("--padding", "10000", "conv2d")]
    [InlineData("--dilation", "100000", "conv2d")]
    public void HugeSizesAreRefusedBeforeAllocating(string option, string value, string command)
    {
        var r = ProcessTests.Shikaku(null, command, "--matrix", "1", "--kernel", "1", option, value);
        Assert.NotEqual(0, r.Code);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains(value, r.Stderr);
    }

    [Fact]
    public void AHugeFilterKernelIsRefusedBeforeAllocating()
    {
        string image = Path.Combine(_dir, "small.png");
        Vision.Imaging.ImageCodec.Save(new Vision.Imaging.Image(64, 48, 3, new byte[64 * 48 * 3]), image);
        AssertOneClearError(ProcessTests.Shikaku(null, "filter", image, "-k", "box:20000", "-o", Path.Combine(_dir, "out.png")), 1, "20000");
    }
}
