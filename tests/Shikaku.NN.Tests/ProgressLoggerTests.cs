using Shikaku.Datasets;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

/// <summary>Fit's progress, as Keras' verbose output: a line per epoch, and per N batches when asked.</summary>
public class ProgressLoggerTests
{
    private static TensorData Data(int count)
    {
        var rng = new Random(3);
        var x = new float[count * 4];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            for (int j = 0; j < 4; j++) x[i * 4 + j] = (labels[i] == 0 ? -1f : 1f) + rng.NextSingle() - 0.5f;
        }
        return new TensorData(Tensor.FromArray(x, count, 4), labels);
    }

    [Fact]
    public void ALineForEveryEpochAndEveryNBatches()
    {
        var model = new Sequential(new Shape(4), 1, new Dense(2, "softmax"));
        model.Compile(new Adam(0.01f));
        var log = new StringWriter();
        var history = model.Fit(Data(64), epochs: 3, batchSize: 8, validation: Data(16),
            callbacks: [new ProgressLogger(log, everyBatches: 4) { Epochs = 3 }]);
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // 8 batches an epoch: steps 4 and 8, then the epoch line, for each of 3 epochs.
        Assert.Equal(9, lines.Length);
        Assert.StartsWith("Epoch 1/3 step 4/8 - loss ", lines[0]);
        Assert.StartsWith("Epoch 1/3 step 8/8 - loss ", lines[1]);
        var last = history.Epochs[^1];
        Assert.Equal($"Epoch 3/3: {last.Seconds:0.0}s - loss {last.Loss:0.0000} - accuracy {last.Accuracy:0.0000} - val_loss {last.ValLoss:0.0000} - val_accuracy {last.ValAccuracy:0.0000}",
            lines[8]);
    }
}
