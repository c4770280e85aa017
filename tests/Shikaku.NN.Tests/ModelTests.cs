using Shikaku.Formats;
using Shikaku.Datasets;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

public class ModelTests
{
    [Fact]
    public void LectureCnnHasKerasParameterCountAndSummary()
    {
        var model = Models.LectureCnn();
        Assert.Equal(1_199_882, model.ParameterCount);
        string summary = model.Summary();
        Assert.Contains("Total params: 1,199,882", summary);
        Assert.Contains("(None, 12, 12, 64)", summary);
        Assert.Contains("(None, 9216)", summary);
    }

    [Fact]
    public void TinyVggIsCnnExplainersNetworkAndEveryArchitectureTakesTheDatasShape()
    {
        // CNN Explainer's Tiny VGG on its 64x64x3 input and 10 classes: 62, 60, 30, 28, 26, 13, then 1,690 -> 10.
        var tiny = Models.TinyVgg(input: new Shape(64, 64, 3));
        Assert.Equal(280 + 910 + 910 + 910 + 16_910, tiny.ParameterCount);
        Assert.Equal([new Shape(62, 62, 10), new Shape(60, 60, 10), new Shape(30, 30, 10), new Shape(28, 28, 10), new Shape(26, 26, 10),
            new Shape(13, 13, 10), new Shape(1690), new Shape(10)], tiny.Layers.Select(l => l.OutputShape));
        foreach (var name in Models.Names)
        {
            var model = Models.Create(name, seed: 1, input: new Shape(32, 32, 3), classes: 4);
            Assert.Equal(new Shape(32, 32, 3), model.InputShape);
            Assert.Equal(new Shape(4), model.OutputShape);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.Create("mlp", classes: 1));
        Assert.Equal(1_199_882, Models.Create("lecture-cnn").ParameterCount); // the default is still the lecture's exactly
    }

    [Fact]
    public void ComposedLayersFollowTheShapesAndEndInTheClassesSoftmax()
    {
        var model = Models.Create("conv:16, pool, conv:32:3:1:same, bn, pool:2, flatten, dense:64, dropout:0.3", seed: 2, input: new Shape(28, 28, 1), classes: 5);
        Assert.Equal(["Conv2D", "MaxPooling2D", "Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Dense", "Dropout", "Dense"], model.Layers.Select(l => l.TypeName));
        Assert.Equal([new Shape(26, 26, 16), new Shape(13, 13, 16), new Shape(13, 13, 32), new Shape(13, 13, 32), new Shape(6, 6, 32),
            new Shape(1152), new Shape(64), new Shape(64), new Shape(5)], model.Layers.Select(l => l.OutputShape));
        Assert.True(((Dense)model.Layers[^1]).IsSoftmax);
        // A flatten is put before the first dense when none is given; gap gives one value a map.
        Assert.Equal(["Conv2D", "Flatten", "Dense", "Dense"], Models.Compose("conv:4,dense:8").Layers.Select(l => l.TypeName));
        Assert.Equal(new Shape(4), Models.Compose("conv:4,gap").Layers[1].OutputShape);
        Assert.True(Models.IsComposed("conv:8,pool") && !Models.IsComposed("tiny-vgg"));
    }

    [Fact]
    public void ComposedSyntaxErrorsAreNamedWithoutAnyInput()
    {
        (string Spec, string Expected)[] cases =
        [
            ("conv", "is not conv:FILTERS"), ("conv:0", "'0' is not a whole number in 1..512"), ("conv:8:3:1:full", "is not conv:FILTERS"),
            ("pool:99", "in 1..8"), ("dense:-3", "is not a whole number"), ("dropout:1", "is not a number in [0, 1)"),
            ("lstm:8", "'lstm:8' is not a layer"), (",,", "is empty"),
        ];
        foreach (var (spec, expected) in cases)
        {
            Assert.Contains(expected, Assert.ThrowsAny<ArgumentException>(() => Models.CheckComposition(spec)).Message);
            Assert.Contains(expected, Assert.ThrowsAny<ArgumentException>(() => Models.Compose(spec)).Message);
        }
    }

    [Fact]
    public void ComposedShapesAndSizesAreCheckedBeforeAWeightIsAllocated()
    {
        // Five poolings of 28x28: the fourth leaves 1x1, the fifth cannot fit.
        Assert.Contains("does not fit", Assert.ThrowsAny<ArgumentException>(() => Models.Compose("pool,pool,pool,pool,pool")).Message);
        Assert.Contains("needs maps", Assert.ThrowsAny<ArgumentException>(() => Models.Compose("dense:8,conv:4")).Message);
        // 512 maps of 62x62 flattened into 4096 units would be 8 billion weights (32 GB): refused by counting, not by allocating.
        var e = Assert.ThrowsAny<ArgumentException>(() => Models.Compose("conv:512,dense:4096", input: new Shape(64, 64, 3)));
        Assert.Contains("more than 50,000,000 weights by layer", e.Message);
        Assert.Contains("more than the 32", Assert.ThrowsAny<ArgumentException>(() => Models.CheckComposition(string.Join(",", Enumerable.Repeat("bn", 33)))).Message);
        Models.CheckComposition("pool,pool,pool,pool,pool"); // fine without a shape: 64x64 images take it
    }

    [Fact]
    public void ShortMnistRunLearnsAndSavedModelPredictsBitIdentically()
    {
        var (train, test) = KnownDatasets.Load("mnist");
        var model = new Sequential(new Shape(28, 28, 1), 3,
            new Conv2D(8, 3, activation: "relu"), new MaxPooling2D(2), new Flatten(), new Dense(32, "relu"), new Dense(10, "softmax"));
        model.Compile(new Adam());
        var history = model.Fit(train.Take(5000), epochs: 2, batchSize: 50, validation: test.Take(1000));
        Assert.Equal(2, history.Epochs.Count);
        Assert.True(history.Epochs[1].ValAccuracy > 0.85, $"validation accuracy {history.Epochs[1].ValAccuracy}");
        Assert.True(history.Epochs[1].Loss < history.Epochs[0].Loss);

        string folder = Directory.CreateTempSubdirectory("shikaku-model").FullName;
        model.Save(folder);
        var loaded = Sequential.Load(folder);
        using var a = model.Predict(test.Take(200));
        using var b = loaded.Predict(test.Take(200));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Throws<IOException>(() => model.Save(folder));
    }

    [Fact]
    public void ModelWithEveryLayerTypeTrainsSavesAndReloads()
    {
        var (train, test) = KnownDatasets.Load("fashion-mnist");
        var model = new Sequential(new Shape(28, 28, 1), 7,
            new Conv2D(8, 3, 2, "same", "relu"), new BatchNormalization(momentum: 0.9), new DepthwiseConv2D(3, padding: "same", activation: "relu6"),
            new AveragePooling2D(2), new Conv2D(16, 1, activation: "relu"), new GlobalAveragePooling2D(), new Dense(10, "softmax"));
        Assert.Contains("Non-trainable params: 16", model.Summary());
        model.Compile(new AdamW(0.01f));
        var history = model.Fit(train.Take(3000), epochs: 2, batchSize: 64, validation: test.Take(500));
        Assert.True(history.Epochs[1].ValAccuracy > 0.3, $"validation accuracy {history.Epochs[1].ValAccuracy}, training accuracy {history.Epochs[1].Accuracy}");
        string folder = Directory.CreateTempSubdirectory("shikaku-all").FullName;
        model.Save(folder);
        using var a = model.Predict(test.Take(100));
        using var b = Sequential.Load(folder).Predict(test.Take(100));
        Assert.Equal(a.ToArray(), b.ToArray()); // moving averages are saved too
    }

    [Fact]
    public void SmallResNetWithSkipConnectionsTrains()
    {
        var (train, test) = KnownDatasets.Load("mnist");
        var model = new Sequential(new Shape(28, 28, 1), 11,
            new Conv2D(16, 3, 2, "same", "relu"),
            new Residual(new Conv2D(16, 3, padding: "same", activation: "relu"), new Conv2D(16, 3, padding: "same")),
            new Residual(new Conv2D(16, 3, padding: "same", activation: "relu"), new Conv2D(16, 3, padding: "same")),
            new GlobalAveragePooling2D(), new Dense(10, "softmax"));
        model.Compile(new Adam(0.003f));
        var history = model.Fit(train.Take(3000), epochs: 2, batchSize: 64, validation: test.Take(500));
        // Well above chance (0.1) and still improving: the skip connections pass gradients through.
        Assert.True(history.Epochs[1].ValAccuracy > 0.25, $"validation accuracy {history.Epochs[1].ValAccuracy}");
        Assert.True(history.Epochs[1].Loss < history.Epochs[0].Loss);
        string folder = Directory.CreateTempSubdirectory("shikaku-resnet").FullName;
        model.Save(folder);
        using var a = model.Predict(test.Take(50));
        using var b = Sequential.Load(folder).Predict(test.Take(50));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Throws<ArgumentException>(() => new Sequential(new Shape(8, 8, 3), new Residual(new Conv2D(4, 3))));
    }

    [Fact]
    public void SameSeedGivesTheSameHistory()
    {
        var (train, _) = KnownDatasets.Load("mnist");
        History Run()
        {
            var m = new Sequential(new Shape(28, 28, 1), 5, new Flatten(), new Dense(16, "relu"), new Dropout(0.2), new Dense(10, "softmax"));
            m.Compile(new Adam());
            return m.Fit(train.Take(1000), epochs: 2, batchSize: 50);
        }
        Assert.Equal(Run().Epochs.Select(e => e.Loss), Run().Epochs.Select(e => e.Loss));
    }

    [Fact]
    public void CorruptOrMismatchedWeightsAndShapesAreExplained()
    {
        string folder = Directory.CreateTempSubdirectory("shikaku-bad").FullName;
        var model = new Sequential(new Shape(4), new Dense(3, "softmax"));
        model.Save(folder);
        string weights = Path.Combine(folder, "model.safetensors");
        byte[] good = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, good[..(good.Length - 8)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Sequential.Load(folder)).Message);
        File.WriteAllBytes(weights, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => Sequential.Load(folder)).Message);
        // Weights of another architecture.
        var other = new Sequential(new Shape(4), new Dense(5, "softmax"));
        File.WriteAllBytes(weights, Safetensors.Encode(other.Layers.SelectMany(l => l.Parameters.Select(p => ($"{l.Name}/{p.Name}", p.Value))).ToList()));
        Assert.Contains("needs (4, 3)", Assert.Throws<InvalidDataException>(() => Sequential.Load(folder)).Message);
        // Data of the wrong shape.
        using var x = Tensor.Zeros(2, 5);
        var e = Assert.Throws<ArgumentException>(() => model.Evaluate(new TensorData(x, [0, 1])));
        Assert.Contains("expects (4)", e.Message);
        Assert.Throws<InvalidOperationException>(() => model.Fit(new TensorData(x, [0, 1]), 1));
    }
}

public class FusedInferenceTests
{
    [Fact]
    public void ConvolutionFollowedByMaxPoolingPredictsExactlyAsTheLayersOneByOne()
    {
        // The lecture CNN: Conv2D(64) + MaxPooling2D(2) are fused at inference.
        var model = Shikaku.NN.Models.LectureCnn();
        var rng = new Random(4);
        using var x = Tensor.FromArray(Enumerable.Range(0, 5 * 28 * 28).Select(_ => rng.NextSingle()).ToArray(), 5, 28, 28, 1);
        using var fused = model.Predict(x);
        Tensor current = x.Reshape(5, 28, 28, 1);
        foreach (var layer in model.Layers)
        {
            var next = layer.Forward(current);
            current.Dispose();
            current = next;
        }
        using (current)
            Assert.Equal(current.ToArray(), fused.ToArray());
    }
}

public class FusedTrainingTests
{
    [Fact]
    public void MaxPoolingThroughTheReluGradientGivesTheSameGradientsAsTheLayersOneByOne()
    {
        // Training routes max pooling's gradient through the ReLU of the convolution before it in one pass, and
        // runs the two forward passes as one kernel that records the maximum taps instead of the convolution output.
        var rng = new Random(5);
        var conv = new Conv2D(32, 3, activation: "relu");
        var pool = new MaxPooling2D(2);
        conv.Build(new Shape(10, 10, 32), rng); // 32 channels in and out: the direct kernels build dy one image at a time
        pool.Build(conv.OutputShape, rng);
        using var x = Tensor.FromArray(Enumerable.Range(0, 4 * 10 * 10 * 32).Select(_ => rng.NextSingle() - 0.5f).ToArray(), 4, 10, 10, 32);
        using var tape = new Tape();
        using var y = conv.Forward(x, tape);
        using var pooled = pool.Forward(y, tape);
        Assert.Contains(y.ToArray(), v => v == 0); // some ReLU outputs are cut
        var dyValues = Enumerable.Range(0, pooled.Shape.Length).Select(_ => rng.NextSingle() - 0.5f).ToArray();

        float[] Gradients(bool fused, bool fusedForward = false)
        {
            foreach (var p in conv.Parameters) p.Grad.Span.Clear();
            using var dy = Tensor.FromArray(dyValues, pooled.Shape.ToArray());
            Tensor? dx;
            if (fusedForward)
            {
                // The forward pass fused too: the convolution output is not kept, the maximum taps are.
                using var fusedTape = new Tape();
                using var again = pool.ForwardAfter(conv, x, fusedTape);
                Assert.Equal(pooled.ToArray(), again.ToArray());
                Assert.True(pool.RanFused(fusedTape));
                dx = conv.BackwardThroughPooling(pool, dy, fusedTape, needInputGrad: true);
            }
            else if (fused)
            {
                using var pre = pool.BackwardThroughRelu(dy, tape);
                dx = conv.BackwardFromPreActivation(pre, tape, needInputGrad: true);
            }
            else
            {
                using var dConv = pool.Backward(dy, tape, needInputGrad: true)!;
                dx = conv.Backward(dConv, tape, needInputGrad: true);
            }
            using (dx)
                return [.. dx!.ToArray(), .. conv.Parameters.SelectMany(p => p.Grad.ToArray())];
        }

        var separate = Gradients(fused: false);
        Assert.Equal(separate, Gradients(fused: true));
        // Built one image at a time, the bias gradient is summed in another order: equal to float rounding.
        var fusedBoth = Gradients(fused: true, fusedForward: true);
        Assert.Equal(separate.Length, fusedBoth.Length);
        for (int i = 0; i < separate.Length; i++)
            Assert.True(Math.Abs(separate[i] - fusedBoth[i]) <= 1e-5f * (1 + Math.Abs(separate[i])), $"gradient {i}: {separate[i]} vs {fusedBoth[i]}");
    }
}

