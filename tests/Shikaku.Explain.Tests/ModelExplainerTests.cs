using Shikaku.Explain;
using Shikaku.NN;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.Explain.Tests;

public class ModelExplainerTests
{
    private static Tensor Input(int seed)
    {
        var rng = new Random(seed);
        var x = new float[28 * 28];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextSingle();
        return Tensor.FromArray(x, 1, 28, 28, 1);
    }

    [Fact]
    public void EveryLayerIsTracedAndTheLastIsWhatPredictReturns()
    {
        // Any weights do: the explainer must show what the model computes, trained or not.
        var model = Models.Create("lecture-cnn", seed: 3);
        using var x = Input(1);
        var explained = ModelExplainer.Explain(model, x);
        Assert.Equal(model.Layers.Select(l => l.Name), explained.Layers.Select(l => l.Name));
        Assert.All(explained.Layers.Zip(model.Layers), p => Assert.Equal(p.Second.OutputShape.ToArray(), p.First.Shape));
        using var predicted = model.Predict(x);
        var p = predicted.Span.ToArray();
        for (int i = 0; i < p.Length; i++) Assert.Equal(p[i], explained.Output[i], 6);
        // The conv layer before pooling is traced whole (Predict fuses it with the pooling and never writes it).
        var conv = explained.Layers.First(l => l.Type == "Conv2D");
        Assert.Equal(conv.Shape.Aggregate(1, (a, b) => a * b), conv.Values.Length);
        Assert.Equal(784, explained.Input.Length);
    }

    [Fact]
    public void AConvMapIsTheSumOfItsChannelsConvolutionsPlusBiasThroughTheActivation()
    {
        var model = Models.Create("lecture-cnn", seed: 5);
        using var x = Input(2);
        var explained = ModelExplainer.Explain(model, x);
        for (int layer = 0; layer < model.Layers.Count; layer++)
        {
            if (model.Layers[layer] is not Conv2D conv) continue;
            foreach (int channel in new[] { 0, conv.Filters - 1 })
            {
                var d = ModelExplainer.ExplainConv(model, x, layer, channel);
                var below = layer == 0 ? explained.Input : explained.Layers[layer - 1].Values;
                int cin = model.Layers[layer].InputShape[2];
                Assert.Equal(cin, d.Contributions.Count);
                // Each contribution is a naive valid convolution of one channel with its kernel slice.
                var kernel = conv.Parameters[0].Value.Span;
                for (int c = 0; c < cin; c += Math.Max(1, cin / 4))
                {
                    for (int oy = 0; oy < d.OutHeight; oy += 5)
                        for (int ox = 0; ox < d.OutWidth; ox += 3)
                        {
                            double sum = 0;
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++)
                                    sum += below[((oy + ky) * d.InWidth + ox + kx) * cin + c] * kernel[((ky * 3 + kx) * cin + c) * conv.Filters + channel];
                            Assert.Equal(sum, d.Contributions[c].Map[oy * d.OutWidth + ox], 4);
                        }
                    Assert.Equal(d.Inputs[c][7], below[7 * cin + c]);
                }
                var cout = explained.Layers[layer];
                for (int i = 0; i < d.Output.Length; i++)
                {
                    Assert.Equal(cout.Values[i * conv.Filters + channel], d.Output[i]);
                    Assert.Equal(Math.Max(0f, d.PreActivation[i]), d.Output[i], 4); // the lecture CNN's convolutions use ReLU
                }
                Assert.Equal("relu", d.Activation);
            }
        }
    }

    [Fact]
    public void OnlyConvolutionMapsOfOneInputAreExplained()
    {
        var model = Models.Create("lecture-cnn", seed: 1);
        using var x = Input(3);
        Assert.Contains("not a Conv2D", Assert.Throws<ArgumentException>(() => ModelExplainer.ExplainConv(model, x, 2, 0)).Message);
        Assert.Contains("channel 32", Assert.Throws<ArgumentOutOfRangeException>(() => ModelExplainer.ExplainConv(model, x, 0, 32)).Message);
        Assert.Contains("layer 99", Assert.Throws<ArgumentOutOfRangeException>(() => ModelExplainer.ExplainConv(model, x, 99, 0)).Message);
        using var two = Tensor.Zeros(new Shape(2, 28, 28, 1));
        Assert.Contains("batch of 1", Assert.Throws<ArgumentException>(() => ModelExplainer.Explain(model, two)).Message);
    }
}
