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
