using Shikaku.Graph;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

public class GraphInferenceTests
{
    [Fact]
    public void TheLectureCnnRunsItsConvolutionsAndPoolingAsOneFusedNode()
    {
        var model = Shikaku.NN.Models.LectureCnn();
        using var graph = model.ToGraph();
        var ops = graph.Nodes.Select(n => n.Op).ToArray();
        Assert.Equal(["Shikaku.Conv2DConv2DMaxPool2x2", "Identity", "Reshape", "_FusedMatMul", "Identity", "_FusedMatMul", "Softmax"], ops);
        // The graph reads the layers' own weights: training updates what Predict uses without a recompile.
        Assert.Same(model.Layers[0].Parameters[0].Value, graph.Constants[$"{model.Layers[0].Name}/kernel"]);
    }

    [Fact]
    public void PredictAfterMoreTrainingUsesTheNewWeights()
    {
        var model = new Sequential(new Shape(3), 7, new Dense(4, "relu"), new Dense(2, "softmax"));
        using var x = Tensor.FromArray([0.5f, -1f, 2f], 1, 3);
        using var before = model.Predict(x);
        model.Layers[1].Parameters[1].Value.Span[0] += 5f; // as an optimizer step does: in place
        using var after = model.Predict(x);
        using var h = model.Layers[0].Forward(x);
        using var expected = model.Layers[1].Forward(h);
        Assert.Equal(expected.ToArray(), after.ToArray());
        Assert.NotEqual(before.ToArray(), after.ToArray());
    }

    private sealed class Doubling : Layer
    {
        public override string TypeName => "Doubling";
        protected override Shape BuildCore(Shape inputShape, Random rng) => inputShape;
        public override Tensor Forward(Tensor input, Tape? tape = null)
        {
            var y = input.Clone();
            System.Numerics.Tensors.TensorPrimitives.Multiply(y.Span, 2f, y.Span);
            return y;
        }
        public override Tensor? Backward(Tensor outputGrad, Tape tape, bool needInputGrad) => null;
        public override System.Text.Json.Nodes.JsonObject Config() => [];
    }

    [Fact]
    public void ALayerWithoutGraphNodesRunsThroughItsForward()
    {
        var model = new Sequential(new Shape(2), new Doubling(), new Dense(2));
        using var x = Tensor.FromArray([1f, 3f], 1, 2);
        using var y = model.Predict(x);
        using var doubled = Tensor.FromArray([2f, 6f], 1, 2);
        using var expected = model.Layers[1].Forward(doubled);
        Assert.Equal(expected.ToArray(), y.ToArray());
        Assert.Contains(model.ToGraph().Nodes, n => n.Op == "Shikaku.Layer");
    }
}
