using Shikaku.Datasets;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

public class OptimizerTests
{
    /// <summary>Minimises f(w) = Σ (w - 3)² from w = 0: every optimizer must get close to 3.</summary>
    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("sgd")]
    [InlineData("nesterov")]
    [InlineData("rmsprop")]
    [InlineData("adadelta")]
    public void EveryOptimizerMinimisesAQuadratic(string name)
    {
        Optimizer optimizer = name switch
        {
            "adam" => new Adam(0.1f),
            "adamw" => new AdamW(0.1f, weightDecay: 0f),
            "sgd" => new Sgd(0.1f),
            "nesterov" => new Sgd(0.05f, momentum: 0.9f, nesterov: true),
            "rmsprop" => new RmsProp(0.05f),
            _ => new Adadelta(50f),
        };
        var p = new Parameter("w", Tensor.Zeros(4));
        for (int step = 0; step < 500; step++)
        {
            var w = p.Value.Span;
            var g = p.Grad.Span;
            for (int i = 0; i < 4; i++) g[i] = 2 * (w[i] - 3);
            optimizer.Step([p]);
        }
        Assert.All(p.Value.ToArray(), v => Assert.InRange(v, 2.9f, 3.1f));
    }

    [Fact]
    public void AdamFirstStepMovesEachWeightByTheLearningRate()
    {
        // With bias correction, Adam's first step is lr * sign(g) (up to epsilon), as in Keras.
        var p = new Parameter("w", Tensor.FromArray([1f, -2f], 2));
        p.Grad.Span[0] = 0.5f;
        p.Grad.Span[1] = -7f;
        new Adam(0.01f).Step([p]);
        Assert.Equal(0.99f, p.Value.Span[0], 5);
        Assert.Equal(-1.99f, p.Value.Span[1], 5);
    }
}

public class LossTests
{
    [Fact]
    public void LossGradientsMatchFiniteDifferences()
    {
        float[] outputs = [0.2f, 0.5f, 0.3f, 0.7f, 0.1f, 0.2f];
        int[] labels = [1, 0];
        foreach (var loss in new[] { Loss.SparseCategoricalCrossentropy, Loss.BinaryCrossentropy, Loss.MeanSquaredError })
        {
            var grad = new float[6];
            Losses.Compute(loss, outputs, 3, labels, grad, logits: false);
            for (int i = 0; i < 6; i++)
            {
                var plus = (float[])outputs.Clone();
                var minus = (float[])outputs.Clone();
                plus[i] += 1e-3f;
                minus[i] -= 1e-3f;
                double numeric = (Losses.Compute(loss, plus, 3, labels, [], false).Sum - Losses.Compute(loss, minus, 3, labels, [], false).Sum) / 2 / 2e-3;
                Assert.True(Math.Abs(numeric - grad[i]) < 2e-2 * (1 + Math.Abs(numeric)), $"{loss} d/d{i}: {grad[i]} vs {numeric}");
            }
        }
    }

    [Fact]
    public void BinaryClassifierWithSigmoidOutputLearns()
    {
        var (train, test) = Shikaku.Datasets.KnownDatasets.Load("mnist");
        // 0 vs 1 only: a single sigmoid unit and binary cross-entropy.
        var pick = Enumerable.Range(0, 4000).Where(i => train.Labels[i] <= 1).ToArray();
        var (x, y) = train.Batch(pick);
        using (x)
        {
            var model = new Sequential(new Shikaku.Tensors.Shape(28, 28, 1), 2, new Shikaku.NN.Layers.Flatten(), new Shikaku.NN.Layers.Dense(1, "sigmoid"));
            model.Compile(new Adam(0.01f), "binary_crossentropy");
            var history = model.Fit(new TensorData(x, y), epochs: 2, batchSize: 32);
            Assert.True(history.Epochs[1].Accuracy > 0.97, $"training accuracy {history.Epochs[1].Accuracy}");
            var mse = new Sequential(new Shikaku.Tensors.Shape(28, 28, 1), 2, new Shikaku.NN.Layers.Flatten(), new Shikaku.NN.Layers.Dense(10, "softmax"));
            mse.Compile(new Adam(0.01f), "mse");
            Assert.True(mse.Fit(train.Take(2000), 2, 32).Epochs[1].Accuracy > 0.7);
        }
        Assert.Throws<ArgumentException>(() => new Sequential(new Shikaku.Tensors.Shape(2), new Shikaku.NN.Layers.Dense(1)).Compile(new Adam(), "hinge"));
    }
}
