using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN.Tests;

/// <summary>
/// Every backward pass against central finite differences of L = Σ y·r (r fixed and random, so
/// dL/dy = r), summed in double precision.
/// </summary>
public class GradientTests
{
    private static double Loss(Layer layer, Tensor x, float[] r)
    {
        using var tape = new Tape();
        using var y = layer.Forward(x, tape);
        double s = 0;
        var span = y.Span;
        for (int i = 0; i < span.Length; i++) s += (double)span[i] * r[i];
        return s;
    }

    private static float[] Random(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rng.NextSingle() * 2 - 1) * scale;
        return a;
    }

    private static void Check(Layer layer, Shape inputShape, int batch, int seed = 1, double tolerance = 2e-2, float eps = 1e-2f, bool distinct = false)
    {
        var rng = new Random(seed);
        layer.Build(inputShape, rng);
        var dims = new[] { batch }.Concat(inputShape).ToArray();
        int count = new Shape(dims).Length;
        // Distinct values 0.05 apart keep every max (and every ReLU kink) farther than eps from a tie.
        float[] values = distinct ? Enumerable.Range(0, count).Select(i => (i - count / 2) * 0.05f).OrderBy(_ => rng.Next()).ToArray() : Random(rng, count);
        using var x = Tensor.FromArray(values, dims);
        var outDims = new[] { batch }.Concat(layer.OutputShape).ToArray();
        var r = Random(rng, new Shape(outDims).Length);
        // Analytic gradients.
        foreach (var p in layer.Parameters) p.Grad.Span.Clear();
        Tensor? dx;
        using (var tape = new Tape())
        using (var y = layer.Forward(x, tape))
        using (var g = Tensor.FromArray(r, outDims))
            dx = layer.Backward(g, tape, needInputGrad: true);
        using var dxOwned = dx;
        void Compare(Span<float> values, ReadOnlySpan<float> analytic, string what)
        {
            for (int i = 0; i < values.Length; i += Math.Max(1, values.Length / 40))
            {
                float saved = values[i];
                values[i] = saved + eps;
                double plus = Loss(layer, x, r);
                values[i] = saved - eps;
                double minus = Loss(layer, x, r);
                values[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance * (1 + Math.Abs(numeric)),
                    $"{layer.TypeName} d/d{what}[{i}]: backward {analytic[i]}, finite differences {numeric}");
            }
        }
        Compare(x.Span, dx!.Span.ToArray(), "input");
        foreach (var p in layer.Parameters) Compare(p.Value.Span, p.Grad.Span.ToArray(), p.Name);
    }

    [Theory]
    [InlineData(1, "valid", 1)]
    [InlineData(2, "same", 1)]
    [InlineData(1, "same", 2)]
    [InlineData(2, "valid", 2)]
    public void Conv2DWithStridePaddingAndDilation(int stride, string padding, int dilation) =>
        Check(new Conv2D(4, 3, stride, padding, "linear", dilation), new Shape(7, 6, 3), batch: 2);

    // Activations whose gradient needs their input: the layer keeps the pre-activation on the tape.
    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu:tanh")]
    [InlineData("swish")]
    [InlineData("hard_swish")]
    [InlineData("elu")]
    [InlineData("softplus")]
    public void LayersTrainWithTheActivationsOfImportedGraphs(string activation)
    {
        Check(new Dense(5, activation), new Shape(7), batch: 3, seed: 2, eps: 1e-3f);
        Check(new Conv2D(4, 3, padding: "same", activation: activation), new Shape(5, 5, 2), batch: 2, seed: 3, eps: 1e-3f);
        Check(new DepthwiseConv2D(3, padding: "same", activation: activation), new Shape(5, 5, 3), batch: 2, seed: 5, eps: 1e-3f);
    }

    [Fact]
    public void Conv2DWithRelu() => Check(new Conv2D(5, 3, activation: "relu"), new Shape(6, 6, 2), batch: 2, seed: 4, eps: 1e-3f, tolerance: 3e-2);

    [Fact]
    public void DenseWithTanhAndSoftmax()
    {
        Check(new Dense(7, "tanh"), new Shape(5), batch: 3);
        Check(new Dense(4, "softmax"), new Shape(6), batch: 3, seed: 2);
    }

    [Fact]
    public void MaxPoolingWithoutTies() => Check(new MaxPooling2D(2), new Shape(6, 5, 3), batch: 2, distinct: true);

    [Fact]
    public void MaxPoolingTiesSendTheGradientToTheFirstMaximum()
    {
        var pool = new MaxPooling2D(2);
        pool.Build(new Shape(2, 2, 1), new Random(0));
        using var x = Tensor.FromArray([3f, 3f, 1f, 3f], 1, 2, 2, 1);
        using var tape = new Tape();
        using var y = pool.Forward(x, tape);
        using var g = Tensor.FromArray([1f], 1, 1, 1, 1);
        using var dx = pool.Backward(g, tape, true)!;
        Assert.Equal([1f, 0f, 0f, 0f], dx.ToArray()); // as TF and PyTorch: one subgradient, not split
    }

    [Fact]
    public void DropoutWithAFixedMask()
    {
        var dropout = new Dropout(0.5) { FixedMask = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0] };
        Check(dropout, new Shape(6), batch: 2);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void RandomDropoutDropsTheRateAndRescalesTheRestDifferentlyEachBatch(double rate)
    {
        var model = new Sequential(new Shape(1000), 3, new Dropout(rate));
        var dropout = (Dropout)model.Layers.Single();
        using var x = Tensor.Full(new Shape(10, 1000), 1f);
        using var tapeA = new Tape();
        using var a = dropout.Forward(x, tapeA);
        var first = a.ToArray();
        double dropped = first.Count(v => v == 0f) / (double)first.Length;
        Assert.InRange(dropped, rate - 0.02, rate + 0.02);
        Assert.All(first.Where(v => v != 0f), v => Assert.Equal((float)(1 / (1 - rate)), v, 5));
        using var tape = new Tape();
        using var b = dropout.Forward(x, tape);
        Assert.NotEqual(first, b.ToArray());
        using var g = Tensor.Full(new Shape(10, 1000), 2f);
        using var dx = dropout.Backward(g, tape, true)!;
        Assert.Equal(b.ToArray().Select(v => 2 * v), dx.ToArray());
        using var inference = dropout.Forward(x);
        Assert.All(inference.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void AveragePoolingWithPadding()
    {
        Check(new AveragePooling2D(2), new Shape(6, 5, 3), batch: 2);
        Check(new AveragePooling2D(3, 2, "same"), new Shape(5, 5, 2), batch: 2);
    }

    [Theory]
    [InlineData(1, "valid", 1)]
    [InlineData(2, "same", 1)]
    [InlineData(1, "same", 2)]
    public void DepthwiseConv2DWithStridePaddingAndMultiplier(int stride, string padding, int multiplier) =>
        Check(new DepthwiseConv2D(3, stride, padding, multiplier), new Shape(6, 7, 3), batch: 2);

    [Fact]
    public void BatchNormalizationInTrainingMode()
    {
        var bn = new BatchNormalization();
        Check(bn, new Shape(3, 4, 5), batch: 3, tolerance: 3e-2, eps: 5e-3f);
        Check(new BatchNormalization(), new Shape(6), batch: 8, tolerance: 3e-2, eps: 5e-3f);
    }

    [Fact]
    public void ResidualBlockAddsBothBranches() =>
        Check(new Residual(new Conv2D(3, 3, padding: "same", activation: "tanh"), new Conv2D(3, 1)), new Shape(5, 4, 3), batch: 2);

    [Fact]
    public void GlobalAveragePooling() => Check(new GlobalAveragePooling2D(), new Shape(4, 3, 5), batch: 2);

    [Fact]
    public void FlattenPassesGradientsThrough() => Check(new Flatten(), new Shape(2, 3, 2), batch: 2);
}
