using Shikaku.Datasets;
using Shikaku.Vision.Digits;
using Shikaku.Vision.Imaging;

namespace Shikaku.Cli.Tests;

public class TrainTests
{
    private static (int Code, string Output) Run(params string[] args) => TestConsole.Run(args);

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
