using Shikaku.Datasets;
using Shikaku.Vision.Digits;
using Shikaku.Vision.Imaging;

namespace Shikaku.Cli.Tests;

public class TrainTests
{
    private static (int Code, string Output) Run(params string[] args) => TestConsole.Run(args);

    /// <summary>An MNIST test digit as a phone photo would show it: dark ink on light paper, 5x larger, off-centre.</summary>
    private static Image AsPhoto(ImageDataset test, int index)
    {
        int size = 28 * 5, margin = 40;
        var px = Enumerable.Repeat((byte)235, (size + 2 * margin) * (size + margin)).ToArray();
        int width = size + 2 * margin;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                px[(y + margin / 2) * width + x + margin] = (byte)(235 - test.Pixels[index * 784 + (y / 5) * 28 + x / 5] * 0.85);
        return new Image(width, size + margin, 1, px);
    }

    [Fact]
    public void PreparedPhotoOfADigitLooksLikeTheMnistOriginal()
    {
        var (_, test) = KnownDatasets.Load("mnist");
        for (int i = 0; i < 5; i++)
        {
            using var t = MnistStyle.Prepare(AsPhoto(test, i));
            var a = t.ToArray();
            var b = test.Pixels.AsSpan(i * 784, 784).ToArray().Select(v => v / 255f).ToArray();
            double ma = a.Average(), mb = b.Average();
            double cov = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
            double corr = cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
            Assert.True(corr > 0.8, $"digit {i}: correlation {corr:F2} with the MNIST original");
        }
        Assert.Throws<ArgumentException>(() => MnistStyle.Prepare(new Image(30, 30, 1, Enumerable.Repeat((byte)200, 900).ToArray())));
    }

    [Fact]
    public void TrainEvaluateAndPredictFromTheCommandLine()
    {
        string run = Path.Combine(Directory.CreateTempSubdirectory("shikaku-run").FullName, "mlp");
        var (code, output) = Run("train", "--dataset", "mnist", "--model", "mlp", "--epochs", "2", "--limit", "4000", "--batch-size", "64", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("Epoch 2/2", output);
        foreach (string file in new[] { "model.json", "model.safetensors", "history.csv", "history.json", "run.json", "accuracy.png", "accuracy.svg", "loss.png", "loss.svg", "confusion.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing from the run folder");
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "history.csv")).Length);
        Assert.Contains("--limit 4000", File.ReadAllText(Path.Combine(run, "run.json")));

        var (evalCode, evalOutput) = Run("evaluate", run);
        Assert.Equal(0, evalCode);
        Assert.Contains("mnist/test: accuracy", evalOutput);

        var (_, test) = KnownDatasets.Load("mnist");
        string photo = Path.Combine(Path.GetDirectoryName(run)!, "digit.png");
        ImageCodec.Save(AsPhoto(test, 0), photo); // the first test digit is a 7
        var (predictCode, predictOutput) = Run("predict", run, photo);
        Assert.Equal(0, predictCode);
        Assert.Contains("digit.png: 7", predictOutput);

        var (again, message) = Run("train", "--model", "mlp", "--epochs", "1", "--limit", "100", "--out", run);
        Assert.Equal(1, again);
        Assert.Contains("--overwrite", message);
    }

    [Fact]
    public void BadTrainingOptionsAreExplained()
    {
        Assert.Contains("unknown", Run("train", "--model", "resnet-9000", "--out", "/tmp/x-never").Output);
        Assert.Contains("Unknown dataset", Run("train", "--dataset", "cifar", "--out", Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))).Output);
        Assert.Contains("no model.json", Run("evaluate", Path.GetTempPath()).Output);
    }
}
