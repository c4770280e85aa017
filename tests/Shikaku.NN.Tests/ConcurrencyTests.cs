using Shikaku.Datasets;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

/// <summary>
/// Layers hold weights, not calls: one trained model, predicting from 8 threads at once on different
/// inputs, gives exactly the answers of serial calls (before the tape, batch normalisation's per-call
/// buffers were shared, and such a model gave 56 wrong answers in 160).
/// </summary>
public class ConcurrencyTests
{
    [Fact]
    public void OneModelPredictsFromEightThreadsAsItDoesSerially()
    {
        var model = new Sequential(new Shape(12, 12, 3), 7,
            new Conv2D(8, 3, padding: "same", activation: "relu"), new BatchNormalization(), new MaxPooling2D(2),
            new Residual(new Conv2D(8, 3, padding: "same", activation: "relu"), new BatchNormalization()),
            new DepthwiseConv2D(3, activation: "relu6"), new AveragePooling2D(2), new Dropout(0.3), new Flatten(),
            new Dense(16, activation: "tanh"), new BatchNormalization(), new Dense(5, activation: "softmax"));
        model.Compile(new Adam(0.01f));
        var rng = new Random(3);
        Tensor Random(int n) => Tensor.FromArray(Enumerable.Range(0, n * 12 * 12 * 3).Select(_ => rng.NextSingle()).ToArray(), n, 12, 12, 3);
        using var train = Random(64);
        model.Fit(new TensorData(train, Enumerable.Range(0, 64).Select(i => i % 5).ToArray()), epochs: 2, batchSize: 16);
        Assert.Null(model.FirstNonFiniteWeight());

        // 160 inputs of different batch sizes (1..4 examples), predicted serially, then 8 threads at once.
        var inputs = Enumerable.Range(0, 160).Select(i => Random(1 + i % 4)).ToArray();
        var serial = inputs.Select(x => { using var y = model.Predict(x); return y.ToArray(); }).ToArray();
        var concurrent = new float[inputs.Length][];
        using var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = t; i < inputs.Length; i += 8)
            {
                using var y = model.Predict(inputs[i]);
                concurrent[i] = y.ToArray();
            }
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();

        int wrong = Enumerable.Range(0, inputs.Length).Count(i => !serial[i].SequenceEqual(concurrent[i]));
        Assert.Equal(0, wrong);
        foreach (var x in inputs) x.Dispose();
    }

    [Fact]
    public void ATapeRefusesABackwardPassItDidNotRecord()
    {
        var dense = new Dense(3);
        dense.Build(new Shape(2), new Random(0));
        using var x = Tensor.FromArray([1f, 2f], 1, 2);
        using var y = dense.Forward(x); // inference: nothing recorded
        using var g = Tensor.FromArray([1f, 1f, 1f], 1, 3);
        using var tape = new Tape();
        var e = Assert.Throws<InvalidOperationException>(() => dense.Backward(g, tape, needInputGrad: true));
        Assert.Contains("no forward pass recorded on this tape", e.Message);
    }
}
