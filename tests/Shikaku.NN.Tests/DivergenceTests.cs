using System.Text.Json.Nodes;
using Shikaku.Datasets;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

/// <summary>A run that diverges must stop, say where, and never replace the last good model.</summary>
public class DivergenceTests
{
    /// <summary>Two separable classes of 4 features, generated (no download).</summary>
    private static TensorData Blobs(int count, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[count * 4];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            for (int j = 0; j < 4; j++) x[i * 4 + j] = scale * ((labels[i] == 0 ? -1f : 1f) + (rng.NextSingle() - 0.5f));
        }
        return new TensorData(Tensor.FromArray(x, count, 4), labels);
    }

    private static Sequential Tiny(int seed = 1) => new(new Shape(4), seed, new Dense(8, "relu"), new Dense(2, "softmax"));

    /// <summary>Hands out clean batches, then NaN inputs from the given call on (a run whose data or weights went bad).</summary>
    private sealed class PoisonedData(TensorData inner, int firstBadCall) : ILabelledData
    {
        private int _calls;
        public int Count => inner.Count;
        public Shape ExampleShape => inner.ExampleShape;
        public (Tensor Inputs, int[] Labels) Batch(ReadOnlySpan<int> indices)
        {
            var (x, y) = inner.Batch(indices);
            if (++_calls >= firstBadCall) x.Span[0] = float.NaN;
            return (x, y);
        }
    }

    private sealed class Recorder : ICallback
    {
        public List<EpochLogs> Ends { get; } = [];
        public List<double> BatchLosses { get; } = [];
        public void OnEpochEnd(Sequential model, EpochLogs logs) => Ends.Add(logs);
        public void OnBatchEnd(int epoch, int batch, int batches, double loss, double accuracy) => BatchLosses.Add(loss);
    }

    private static string TempFolder() => Directory.CreateTempSubdirectory("shikaku-diverge").FullName;

    public static TheoryData<string> Optimizers => ["adam", "adamw", "sgd", "rmsprop", "adadelta"];

    private static Optimizer Make(string name, float lr) => name switch
    {
        "adam" => new Adam(lr),
        "adamw" => new AdamW(lr),
        "sgd" => new Sgd(lr),
        "rmsprop" => new RmsProp(lr),
        _ => new Adadelta(lr),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void EveryOptimizerRefusesANonFiniteZeroNegativeOrAbsurdRate(string name)
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0.001f, 1e30f, 1000f })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Make(name, bad));
            Assert.Contains(bad.ToString("R", System.Globalization.CultureInfo.InvariantCulture), e.Message);
            var optimizer = Make(name, 0.001f);
            Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = bad);
            Assert.Equal(0.001f, optimizer.LearningRate); // a refused rate changes nothing
        }
        Assert.Equal(10f, Make(name, 10f).LearningRate); // the documented bounds are accepted
        Assert.Equal(1e-8f, Make(name, 1e-8f).LearningRate);
    }

    [Fact]
    public void AdadeltaAcceptsLargerRatesAndOtherSettingsAreCheckedToo()
    {
        Assert.Equal(50f, new Adadelta(50f).LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adadelta(101f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(momentum: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(weightDecay: float.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(rho: 1f));
    }

    [Fact]
    public void StepDecayRefusesBadFactorsAndAScheduleThatLeavesTheRange()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, 0f, -0.5f })
            Assert.Contains(bad.ToString("R", System.Globalization.CultureInfo.InvariantCulture), Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(1, bad)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0, 0.5f));

        // 0.01 * (1e-30)^2 underflows to 0 at epoch 3: refused there, naming the epoch, before any batch of it runs.
        var model = Tiny();
        model.Compile(new Sgd(0.01f));
        var recorder = new Recorder();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Blobs(32, 1), 5, 16, callbacks: [new StepDecay(1, 1e-30f), recorder]));
        Assert.Contains("epoch 3", e.Message);
        Assert.Equal(2, recorder.Ends.Count);
        Assert.All(recorder.Ends, l => Assert.True(l.LearningRate > 0));

        // The same refusal, up front, for a caller that wants it before training starts.
        var sgd = new Sgd(0.01f);
        Assert.Equal(0.01f * 1e-30f, new StepDecay(1, 1e-30f).RateAt(sgd, 2));
        Assert.Contains("epoch 3", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(1, 1e-30f).RateAt(sgd, 3)).Message);

        // Growing past the optimizer's maximum is refused the same way.
        var growing = Tiny();
        growing.Compile(new Sgd(0.5f));
        Assert.Contains("epoch 2", Assert.Throws<ArgumentOutOfRangeException>(() => growing.Fit(Blobs(32, 1), 3, 16, callbacks: [new StepDecay(1, 100f)])).Message);
    }

    [Fact]
    public void ALossThatTurnsNaNStopsTrainingAndTheLastGoodCheckpointIsKept()
    {
        string folder = TempFolder();
        var model = Tiny();
        model.Compile(new Adam(0.01f));
        var checkpoint = new ModelCheckpoint(folder);
        var recorder = new Recorder();
        // 2 batches per epoch: the 5th call is epoch 3, batch 1.
        var history = model.Fit(new PoisonedData(Blobs(32, 2), firstBadCall: 5), epochs: 10, batchSize: 16, callbacks: [checkpoint, recorder]);

        Assert.True(history.Diverged);
        Assert.Equal(new Divergence(3, 1, "loss", double.NaN), history.Divergence);
        Assert.Contains("loss became NaN at epoch 3 batch 1", history.StoppedReason);
        Assert.Equal(2, history.Epochs.Count); // the unfinished epoch is not recorded
        Assert.Equal(2, recorder.Ends.Count); // and no callback saw it
        Assert.All(recorder.BatchLosses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(2, checkpoint.BestEpoch);

        // The weights in memory are NaN now; the folder still holds epoch 2's model, which loads and predicts.
        Assert.NotNull(model.FirstNonFiniteWeight());
        var kept = Sequential.Load(folder);
        Assert.Null(kept.FirstNonFiniteWeight());
        using var p = kept.Predict(Blobs(4, 3));
        Assert.All(p.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ANonFiniteValidationLossStopsTrainingBeforeAnyCallbackSeesIt()
    {
        var model = Tiny();
        model.Compile(new Adam(0.01f));
        var recorder = new Recorder();
        var history = model.Fit(Blobs(32, 2), epochs: 3, batchSize: 16, validation: new PoisonedData(Blobs(8, 4), 1), callbacks: [recorder]);
        Assert.Equal(new Divergence(1, 0, "val_loss", double.NaN), history.Divergence);
        Assert.Empty(history.Epochs);
        Assert.Empty(recorder.Ends);
    }

    [Fact]
    public void AHugeLearningRateOnLargeInputsDivergesAndNeverSavesNaN()
    {
        string folder = TempFolder();
        var model = new Sequential(new Shape(4), 1, new Dense(2));
        model.Compile(new Sgd(10f), "mse");
        var checkpoint = new ModelCheckpoint(folder);
        // Inputs of 1e18: the first step moves the weights by ~1e37, the next outputs overflow float.
        var history = model.Fit(Blobs(64, 5, scale: 1e18f), epochs: 20, batchSize: 4, validation: Blobs(16, 6, 1e18f), callbacks: [checkpoint]);
        Assert.True(history.Diverged, "the run should have diverged");
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.Loss) && double.IsFinite(e.ValLoss!.Value)));
        if (File.Exists(Path.Combine(folder, "model.json"))) Assert.Null(Sequential.Load(folder).FirstNonFiniteWeight());
        Assert.NotNull(JsonNode.Parse(history.ToJson())!["divergence"]);
    }

    [Fact]
    public void ModelCheckpointNeverSavesANonFiniteLossOrNonFiniteWeights()
    {
        string folder = TempFolder();
        string json = Path.Combine(folder, "model.json");
        var model = Tiny();
        var checkpoint = new ModelCheckpoint(folder);
        EpochLogs Logs(int epoch, double loss) => new(epoch, loss, 0.5, loss, 0.5, 1, 0.001f);

        checkpoint.OnEpochEnd(model, Logs(1, double.NaN)); // NaN is not "less than" anything, nor an improvement
        checkpoint.OnEpochEnd(model, Logs(2, double.NegativeInfinity));
        Assert.False(File.Exists(json));
        Assert.Null(checkpoint.BestEpoch);

        checkpoint.OnEpochEnd(model, Logs(3, 0.7));
        Assert.Equal(3, checkpoint.BestEpoch);
        byte[] good = File.ReadAllBytes(Path.Combine(folder, "model.safetensors"));

        model.Layers[0].Parameters[0].Value.Span[5] = float.PositiveInfinity;
        checkpoint.OnEpochEnd(model, Logs(4, 0.1)); // a better loss, but the weights are damaged
        Assert.Equal(3, checkpoint.BestEpoch);
        Assert.Equal(0.7, checkpoint.Best);
        Assert.Equal(good, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(3, checkpoint.Refused.Count);
        Assert.Contains("dense_0/kernel", checkpoint.Refused[2]);
    }

    [Fact]
    public void SaveRefusesNonFiniteWeightsAndWritesNothing()
    {
        string folder = TempFolder();
        var model = Tiny();
        model.Layers[1].Parameters[1].Value.Span[0] = float.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => model.Save(folder));
        Assert.Contains("dense_1/bias", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void HistoryWritesNaNAsNullInJsonAndNanInCsv()
    {
        var history = new History();
        history.Epochs.Add(new EpochLogs(1, 0.5, 0.75, 0.6, 0.7, 1.25, 0.001f));
        history.Epochs.Add(new EpochLogs(2, double.NaN, 0.5, double.PositiveInfinity, null, double.NaN, float.NaN));
        var doc = JsonNode.Parse(history.ToJson())!;
        var second = doc["epochs"]![1]!;
        Assert.Null(second["loss"]);
        Assert.Null(second["val_loss"]);
        Assert.Null(second["learning_rate"]);
        Assert.Equal(0.5, second["accuracy"]!.GetValue<double>());
        Assert.Equal(0.5, doc["epochs"]![0]!["loss"]!.GetValue<double>());
        string csv = history.ToCsv();
        Assert.Contains("\n2,nan,0.5,inf,,nan,nan\n", csv);
        Assert.StartsWith("epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate\n1,0.5,0.75,0.6,0.7,1.25,0.001\n", csv);
    }

    [Fact]
    public void AnUndisturbedRunHasNoStoppedReason()
    {
        var model = Tiny();
        model.Compile(new Adam(0.01f));
        var history = model.Fit(Blobs(32, 7), epochs: 2, batchSize: 8);
        Assert.Null(history.StoppedReason);
        Assert.False(history.Diverged);
        Assert.Equal(2, history.Epochs.Count);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Contains("cancelled", model.Fit(Blobs(32, 7), 2, 8, cancel: cancel.Token).StoppedReason);
    }
}
