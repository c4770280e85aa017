using Shikaku.Kernels;

namespace Shikaku.Tests;

public class ElementwiseTests
{
    [Fact]
    public void SoftmaxIsStableForLargeLogitsAndSumsToOnePerRow()
    {
        float[] x = [1000f, 1001f, -1000f, -1001f, 0f, 0f];
        var y = new float[6];
        ElementwiseOps.Softmax(x, y, 2);
        Assert.Equal(0.2689f, y[0], 3);
        Assert.Equal(0.7311f, y[1], 3);
        Assert.Equal(0.7311f, y[2], 3);
        Assert.Equal(0.5f, y[4], 5);
        Assert.Throws<ArgumentException>(() => ElementwiseOps.Softmax(x, y, 4));
    }

    [Fact]
    public void ActivationsMatchTheirDefinitions()
    {
        float[] x = [-2f, -0.5f, 0f, 0.5f, 7f];
        foreach (var act in new[] { Activation.Relu, Activation.Relu6, Activation.LeakyRelu(0.2f), Activation.LeakyRelu(1.5f), Activation.Sigmoid, Activation.Tanh })
        {
            var y = (float[])x.Clone();
            ElementwiseOps.Activate(y, act);
            for (int i = 0; i < x.Length; i++) Assert.Equal(Reference.Activate(x[i], act), y[i], 5);
        }
        Assert.Equal(Activation.LeakyRelu(0.1f), Activation.Parse("leaky_relu:0.1"));
        Assert.Throws<FormatException>(() => Activation.Parse("swishy"));
    }
}
