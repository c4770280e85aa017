using Shikaku.Assets;
using Shikaku.Cli;

namespace Shikaku.Cli.Tests;

public class CliTests
{
    private static (int Code, string Output) Run(params string[] args) => TestConsole.Run(args);

    private static string Photo() => AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)["package/demo/sample3.jpg"];

    private static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "shikaku-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void LectureExamplesPrintTheLecturesResults()
    {
        Assert.Equal((0, "0 2 0 1 1 1 2 1\n"), Run("conv1d", "--data", "0 1 0 1 0 0 1 1 1 0", "--kernel", "1 0 1"));
        Assert.Equal((0, "4 3 5\n4 3 5\n4 3 5\n"),
            Run("conv2d", "--matrix", "0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1", "--kernel", "1 0 1; 1 1 1; 0 0 1"));
        Assert.Equal((0, "8\n"), Run("pool", "--matrix", "4 8; 7 1", "--size", "2"));
    }

    [Fact]
    public void ExplainShowsEveryWindowWithItsProductsAndSum()
    {
        var (code, output) = Run("conv2d", "--matrix", "0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1; 0 1 1 0 1", "--kernel", "1 0 1; 1 1 1; 0 0 1", "--explain");
        Assert.Equal(0, code);
        Assert.Equal(9, output.Split("output[").Length - 1);
        Assert.Contains("sum = 1 + 0 + 0 + 1 + 1 + 0 + 0 + 0 + 0", output);
        var (_, pool) = Run("pool", "--matrix", "4 8; 7 1", "--size", "2", "--explain");
        Assert.Contains("max(4, 8, 7, 1) = 8", pool);
        // Each window's heading is one whole line, however narrow its table.
        Assert.Contains("output[0,0]: window from input row 0, column 0", pool.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public void StridePaddingAndDilationOptionsWork()
    {
        Assert.Equal((0, "1 5 9\n"), Run("conv1d", "--data", "1 2 3 4 5", "--kernel", "1 1", "--padding", "1", "--stride", "2"));
        Assert.Equal((0, "4 6 8\n"), Run("conv1d", "--data", "1 2 3 4 5", "--kernel", "1 1", "--dilation", "2"));
        Assert.Equal((0, "4 4\n"), Run("pool", "--matrix", "1 2 3; 3 4 1", "--size", "2", "--stride", "1", "--mode", "max"));
    }

    [Theory]
    [InlineData(2, "does not know --kernal", "conv1d", "--data", "1 2", "--kernal", "1")]
    [InlineData(2, "Missing --kernel", "conv1d", "--data", "1 2")]
    [InlineData(1, "not rectangular", "conv2d", "--matrix", "1 2; 3", "--kernel", "1")]
    [InlineData(1, "'x' is not a number", "conv2d", "--matrix", "1 x", "--kernel", "1")]
    [InlineData(1, "does not fit", "conv2d", "--matrix", "1 2", "--kernel", "1 2 3")]
    [InlineData(2, "unknown command", "convolve")]
    [InlineData(2, "--stride 0 is out of range", "conv1d", "--data", "1 2", "--kernel", "1", "--stride", "0")]
    [InlineData(1, "no such file", "filter", "missing.jpg", "--kernel", "box:3", "-o", "x.png")]
    [InlineData(1, "the folder", "filter", "missing.jpg", "--kernel", "box:3", "-o", "/no/such/folder/x.png")]
    public void BadInputGivesOneClearLineAndANonZeroExit(int expectedCode, string expected, params string[] args)
    {
        var (code, output) = Run(args);
        Assert.Equal(expectedCode, code);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output); // never a stack trace
    }

    [Fact]
    public void FilterWritesAnImageWithoutMetadataAndRefusesToOverwrite()
    {
        string dir = TempDir(), output = Path.Combine(dir, "edges.png");
        var (code, text) = Run("filter", Photo(), "--kernel", "sobel", "-o", output);
        Assert.True(code == 0, text);
        var img = Vision.Imaging.ImageCodec.Load(output);
        var source = Vision.Imaging.ImageCodec.Load(Photo());
        Assert.Equal((source.Width, source.Height), (img.Width, img.Height));
        var (again, message) = Run("filter", Photo(), "--kernel", "sobel", "-o", output);
        Assert.Equal(1, again);
        Assert.Contains("--overwrite", message);
        Assert.Equal(0, Run("filter", Photo(), "--kernel", "box:3", "-o", output, "--overwrite").Code);
    }

    [Fact]
    public void PoolShrinksAPhoto()
    {
        string output = Path.Combine(TempDir(), "small.jpg");
        var (code, text) = Run("pool", Photo(), "--size", "4", "--mode", "avg", "-o", output);
        Assert.True(code == 0, text);
        var img = Vision.Imaging.ImageCodec.Load(output);
        var source = Vision.Imaging.ImageCodec.Load(Photo());
        Assert.Equal((source.Width / 4, source.Height / 4), (img.Width, img.Height));
    }

    [Fact]
    public void HelpListsEveryCommandWithAnExample()
    {
        var (code, output) = Run("help");
        Assert.Equal(0, code);
        foreach (var c in Program.Commands)
        {
            Assert.Contains(c.Name, output);
            Assert.Contains("./shikaku " + c.Name, output);
        }
        Assert.Contains("gaussian:SIGMA", Run("filter", "--help").Output);
    }

    [Fact]
    public void DemoWritesASelfContainedPage()
    {
        string dir = TempDir();
        var (code, output) = Run("demo", "--out", dir, "--photo", Photo());
        Assert.True(code == 0, output);
        string html = File.ReadAllText(Path.Combine(dir, "index.html"));
        Assert.Contains("data:image/jpeg;base64,", html);
        Assert.Contains("sobel", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("0 2 0 1 1 1 2 1", output);
        // The lecture's three pictures of a 3-D reconstruction: photo | landmarks | fitted mesh, side by side, 720 high, no metadata.
        Assert.Contains("Faces in 3-D: detect, find the landmarks, fit a prepared 3-D face", html);
        Assert.Matches(@"Faces in 3-D: [1-9]\d* of [1-9]\d* faces in sample3\.jpg fitted", output);
        var panels = Shikaku.Vision.Imaging.ImageCodec.Load(Path.Combine(dir, "faces-3d.jpg"), new Shikaku.Vision.Imaging.ImageLoadOptions { KeepMetadata = true });
        Assert.Equal(720, panels.Height);
        Assert.True(panels.Width > 2 * panels.Height, $"{panels.Width}x{panels.Height} is not three panels side by side");
        Assert.Null(panels.Exif);
        Assert.Empty(Directory.GetFiles(dir, "*.obj").Concat(Directory.GetFiles(dir, "*.ply")));
        // A second run replaces its own page, but not a page someone else wrote.
        Assert.Equal(0, Run("demo", "--out", dir, "--photo", Photo()).Code);
        File.WriteAllText(Path.Combine(dir, "index.html"), "<html>mine</html>");
        Assert.Equal(1, Run("demo", "--out", dir, "--photo", Photo()).Code);
        Assert.Equal("<html>mine</html>", File.ReadAllText(Path.Combine(dir, "index.html")));
    }
}
