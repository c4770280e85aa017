using System.Text.Json;
using Shikaku.Vision.Imaging;

using Shikaku.Testing;

namespace Shikaku.App.Tests;

/// <summary>Run folders, training requests and predictions, without a console.</summary>
public sealed class RunTests() : TempFolderTest("shikaku-app-run")
{
    [Fact]
    public void TheNextFreeRunFolderSkipsFoldersThatHoldFiles()
    {
        string runs = Path.Combine(Root, "runs", "mnist");
        Assert.Equal(runs, RunFolder.NextFree(runs));
        Directory.CreateDirectory(runs);
        Assert.Equal(runs, RunFolder.NextFree(runs)); // empty: free
        File.WriteAllText(Path.Combine(runs, "model.json"), "{}");
        Assert.Equal(runs + "-2", RunFolder.NextFree(runs));
        Directory.CreateDirectory(runs + "-2");
        File.WriteAllText(Path.Combine(runs + "-2", "history.csv"), "");
        Assert.Equal(runs + "-3", RunFolder.NextFree(runs));
        using (RunFolder.Lock(runs + "-3"))
            Assert.Equal(runs + "-4", RunFolder.NextFree(runs)); // held by a run that has written nothing yet
    }

    [Fact]
    public void ALockedRunFolderIsRefusedAndTheLockGoesWithTheRun()
    {
        string run = Path.Combine(Root, "run");
        using (RunFolder.Lock(run))
            Assert.Contains("in use by another shikaku train", Assert.Throws<IOException>(() => RunFolder.Lock(run)).Message);
        Assert.Empty(Directory.GetFileSystemEntries(run));
    }

    [Theory]
    [InlineData("step:0:0.5", "not step:EPOCHS:FACTOR")]
    [InlineData("step:2:1e30", "0 < FACTOR <= 1")]
    [InlineData("linear", "not step:EPOCHS:FACTOR")]
    public void ABadScheduleIsRefusedBeforeAFolderIsMade(string schedule, string expected)
    {
        string run = Path.Combine(Root, "run");
        var e = Assert.Throws<UsageException>(() => TrainingRun.Open(new TrainRequest(Schedule: schedule, Out: run)));
        Assert.Contains(expected, e.Message);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void AScheduleIsCheckedOverTheWholeRun()
    {
        var e = Assert.Throws<UsageException>(() => TrainingRun.Open(new TrainRequest(Epochs: 100, Schedule: "step:1:0.000001", Out: Path.Combine(Root, "r"))));
        Assert.Contains("makes the learning rate", e.Message);
        Assert.Equal(0.125f, TrainingRun.ParseSchedule("step:2:0.5").RateAt(new NN.Adam(0.5f), 5), 6); // epochs 1-2: 0.5, 3-4: 0.25, 5: 0.125
    }

    [Fact]
    public void UnknownDatasetsAndModelsAreUsageErrors()
    {
        Assert.Contains("Unknown dataset 'cifar'", Assert.Throws<UsageException>(() => TrainingRun.Open(new TrainRequest(Dataset: "CIFAR"))).Message);
        Assert.Contains("--model 'resnet' is unknown", Assert.Throws<UsageException>(() => TrainingRun.Open(new TrainRequest(Model: "resnet"))).Message);
    }

    [Fact]
    public void AFolderThatHoldsFilesIsRefusedUnlessOverwriteAndIsLeftAsItWas()
    {
        string run = Path.Combine(Root, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        Assert.Contains("already holds files", Assert.Throws<IOException>(() => TrainingRun.Open(new TrainRequest(Out: run))).Message);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(run).Select(Path.GetFileName));
        using (var open = TrainingRun.Open(new TrainRequest(Out: run, Overwrite: true)))
            Assert.Equal(run, open.Folder);
        string fresh = Path.Combine(Root, "fresh");
        TrainingRun.Open(new TrainRequest(Out: fresh)).Dispose();
        Assert.False(Directory.Exists(fresh)); // a run that wrote nothing leaves no folder behind
    }

    private string UntrainedRun() => RunFixtures.UntrainedRun(Root);

    private string Digit(string name) => RunFixtures.Digit(Root, name);

    [Fact]
    public void PredictGivesTheModelsProbabilitiesAndGoesOnPastABadImage()
    {
        string run = UntrainedRun();
        string good = Digit("one.png"), bad = Path.Combine(Root, "bad.png");
        File.WriteAllText(bad, "not a png");
        var seen = new List<string>();
        var result = RunUseCases.Predict(new PredictRequest(run, [bad, good], new ImageLoadOptions()), p => seen.Add(p.Image));
        Assert.Equal([bad, good], seen);
        Assert.Equal(new BatchOutcome(1, 2), result.Outcome);
        Assert.NotNull(result.Predictions[0].Error);

        // The probabilities are the model's own on the MNIST-style preparation of the image.
        var model = NN.Sequential.Load(run);
        using var x = Vision.Digits.MnistStyle.Prepare(ImageCodec.Load(good));
        using var probs = model.Predict(x);
        var p = result.Predictions[1];
        Assert.Equal(probs.Span.ToArray(), p.Probabilities);
        Assert.Equal(p.Probabilities!.Max(), p.Probability);
        Assert.Equal(p.Probabilities!.ToList().IndexOf(p.Probability).ToString(System.Globalization.CultureInfo.InvariantCulture), p.Class);

        using var doc = JsonDocument.Parse(Contract.Serialize(result.ToJson()));
        var predictions = doc.RootElement.GetProperty("predictions");
        Assert.Equal(p.Probability, predictions[1].GetProperty("probability").GetSingle());
        Assert.Equal(10, predictions[1].GetProperty("probabilities").GetArrayLength());
        Assert.Equal(["image", "error"], predictions[0].EnumerateObject().Select(o => o.Name));
    }
}
