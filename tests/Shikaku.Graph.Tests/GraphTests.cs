using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Tests;

internal static class Build
{
    /// <summary>Adds conv (Conv2D of "x" by "w") -> bias ("b") -> relu -> pool (2x2 max), unfused, as a converter writes them.</summary>
    public static void ConvBiasReluPool(ComputeGraph g)
    {
        g.AddNode(new Node("conv", "Conv2D", ["x", "w"], Conv()));
        g.AddNode(new Node("bias", "BiasAdd", ["conv", "b"]));
        g.AddNode(new Node("relu", "Relu", ["bias"]));
        g.AddNode(new Node("pool", "MaxPool", ["relu"], Pool2x2));
    }

    /// <summary>A graph with one input "x" of shape [-1, 4], <paramref name="nodes"/>, and the last node as its output.</summary>
    public static ComputeGraph OnX4(params Node[] nodes)
    {
        var g = new ComputeGraph();
        g.AddInput("x", -1, 4);
        foreach (var node in nodes) g.AddNode(node);
        g.Outputs.Add(nodes[^1].Name);
        return g;
    }

    public static Tensor Random(int seed, params int[] dims)
    {
        var rng = new Random(seed);
        var t = Tensor.Uninitialized(new Shape(dims));
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextSingle() * 2f - 1f;
        return t;
    }

    public static Attributes Conv(string padding = "SAME", params string[] fused) =>
        fused.Length == 0 ? new() { ["padding"] = padding } : new() { ["padding"] = padding, ["fused_ops"] = fused };

    public static Attributes Pool2x2 => new() { ["ksize"] = AttrValue.Ints(1, 2, 2, 1), ["strides"] = AttrValue.Ints(1, 2, 2, 1), ["padding"] = "VALID" };

    public static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }

    public static float[] RunOnce(ComputeGraph g, Tensor x)
    {
        var outputs = GraphPlan.Compile(g).Run(x);
        var values = outputs[0].ToArray();
        foreach (var o in outputs) o.Dispose();
        return values;
    }
}

public class ValidationTests
{
    [Fact]
    public void AnUnknownOpIsNamedWithItsNode()
    {
        using var g = Build.OnX4(new Node("mystery", "Frobnicate", ["x"]));
        var e = Assert.Throws<GraphException>(() => GraphPlan.Compile(g));
        Assert.Contains("'mystery'", e.Message);
        Assert.Contains("'Frobnicate'", e.Message);
        Assert.IsAssignableFrom<ShikakuException>(e);
    }

    [Fact]
    public void ACycleIsNamedNodeByNode()
    {
        using var g = Build.OnX4(new Node("a", "Relu", ["b"]), new Node("b", "Relu", ["a"]));
        Assert.Contains("cycle: a -> b -> a", Assert.Throws<GraphException>(() => GraphPlan.Compile(g)).Message);
    }

    [Fact]
    public void AMissingInputAndAMissingOutputIndexAreNamed()
    {
        using var g = Build.OnX4(new Node("r", "Relu", ["x", "^ghost"]));
        Assert.Contains("'ghost'", Assert.Throws<GraphException>(() => GraphPlan.Compile(g)).Message);
        g.Nodes[0] = new Node("r", "Relu", ["x:3"]);
        Assert.Contains("output 3 of 'x'", Assert.Throws<GraphException>(() => GraphPlan.Compile(g)).Message);
    }

    [Fact]
    public void ABadFeedShapeIsNamed()
    {
        using var g = Build.OnX4(new Node("r", "Relu", ["x"]));
        using var x = Tensor.Zeros(2, 5);
        Assert.Contains("Input 'x' must have shape (any, 4)", Assert.Throws<GraphException>(() => GraphPlan.Compile(g).Run(x)).Message);
    }

    [Fact]
    public void ValueReferencesParseAsTensorFlowWritesThem()
    {
        Assert.Equal(new ValueRef("conv", 0, false), ValueRef.Parse("conv"));
        Assert.Equal(new ValueRef("split", 1, false), ValueRef.Parse("split:1"));
        Assert.Equal(new ValueRef("init", 0, true), ValueRef.Parse("^init"));
    }
}

public class ExecutorTests
{
    // x -> conv (+bias, relu) -> maxpool -> reshape -> matmul (+bias) -> softmax
    private static ComputeGraph Cnn(Tensor w, Tensor b, Tensor fc, Tensor fcb)
    {
        var g = new ComputeGraph();
        g.AddInput("x", -1, 8, 8, 2);
        g.AddConstant("w", w, owned: false);
        g.AddConstant("b", b, owned: false);
        g.AddConstant("fc", fc, owned: false);
        g.AddConstant("fcb", fcb, owned: false);
        Build.ConvBiasReluPool(g);
        g.AddNode(new Node("flat", "Reshape", ["pool"], new() { ["shape"] = AttrValue.Ints(-1, 4 * 4 * 3) }));
        g.AddNode(new Node("logits", "MatMul", ["flat", "fc"]));
        g.AddNode(new Node("logits_b", "BiasAdd", ["logits", "fcb"]));
        g.AddNode(new Node("probs", "Softmax", ["logits_b"]));
        g.Outputs.Add("probs");
        return g;
    }

    [Fact]
    public void IntermediatesAreFreedAfterTheirLastReaderAndTheTraceSeesEveryNode()
    {
        using Tensor w = Build.Random(1, 3, 3, 2, 3), b = Build.Random(2, 3), fc = Build.Random(3, 48, 5), fcb = Build.Random(4, 5), x = Build.Random(5, 2, 8, 8, 2);
        using var g = Cnn(w, b, fc, fcb);
        var seen = new List<(string Name, Tensor Value, float[] Copy)>();
        var outputs = GraphPlan.Compile(g).Run([x], (node, i, t) => seen.Add((node.Name, t, t.ToArray())));
        using var probs = outputs[0];
        Assert.Equal(["conv", "bias", "relu", "pool", "flat", "logits", "logits_b", "probs"], seen.Select(s => s.Name));
        // The trace's values are the kernels' own, step by step.
        using var conv = Convolution.Conv2D(x, w, b, new ConvOptions { Padding = Padding.Same, Activation = Activation.Relu });
        Assert.Equal(conv.ToArray(), seen[2].Copy);
        using var pooled = Pooling.MaxPool2D(conv, new PoolOptions(2));
        Assert.Equal(pooled.ToArray(), seen[3].Copy);
        // Every intermediate is gone; the output, the input and the constants are not.
        // (BiasAdd, Relu and Softmax ran in place: their input tensor became their output, the last one the graph's output.)
        foreach (var (name, value, _) in seen.Where(s => !ReferenceEquals(s.Value, probs))) Assert.Throws<ObjectDisposedException>(() => value.Span.Length);
        Assert.Same(seen[5].Value, probs);
        Assert.Equal(seen[7].Copy, probs.ToArray());
        Assert.Equal(1f, probs.ToArray().Take(5).Sum(), 5);
        _ = x.Span; _ = w.Span; _ = fcb.Span;
    }

    [Fact]
    public void OnePlanRunsFromEightThreadsWithTheSerialAnswers()
    {
        using Tensor w = Build.Random(1, 3, 3, 2, 3), b = Build.Random(2, 3), fc = Build.Random(3, 48, 5), fcb = Build.Random(4, 5);
        using var g = Cnn(w, b, fc, fcb);
        var plan = GraphPlan.Compile(g);
        var inputs = Enumerable.Range(0, 16).Select(i => Build.Random(100 + i, 1 + i % 3, 8, 8, 2)).ToArray();
        float[] Once(Tensor x) { var o = plan.Run(x); var v = o[0].ToArray(); o[0].Dispose(); return v; }
        var serial = inputs.Select(Once).ToArray();
        var parallel = new float[inputs.Length][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int round = 0; round < 20; round++)
                for (int i = t; i < inputs.Length; i += 8) parallel[i] = Once(inputs[i]);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        for (int i = 0; i < inputs.Length; i++) Assert.Equal(serial[i], parallel[i]);
        foreach (var x in inputs) x.Dispose();
    }

    [Fact]
    public void AnInputOrConstantReturnedAsOutputIsAViewTheCallerMayDispose()
    {
        using var c = Tensor.FromArray([1f, 2f], 2);
        using var g = new ComputeGraph();
        g.AddInput("x", 2);
        g.AddConstant("c", c, owned: false);
        g.Outputs.AddRange(["x", "c", "c"]);
        using var x = Tensor.FromArray([3f, 4f], 2);
        foreach (var o in GraphPlan.Compile(g).Run(x)) o.Dispose();
        Assert.Equal([3f, 4f], x.ToArray());
        Assert.Equal([1f, 2f], c.ToArray());
    }

    [Fact]
    public void MatMulAndBatchNormFollowTheirFormulas()
    {
        using Tensor a = Build.Random(1, 3, 4), w = Build.Random(2, 4, 2), scale = Build.Random(3, 2), offset = Build.Random(4, 2), mean = Build.Random(5, 2);
        using var variance = Tensor.FromArray([0.5f, 2f], 2);
        using var g = new ComputeGraph();
        g.AddInput("a", -1, 4);
        foreach (var (n, t) in new[] { ("w", w), ("scale", scale), ("offset", offset), ("mean", mean), ("var", variance) }) g.AddConstant(n, t, owned: false);
        g.AddNode(new Node("mm", "MatMul", ["a", "w"]));
        g.AddNode(new Node("bn", "FusedBatchNormV3", ["mm", "scale", "offset", "mean", "var"], new() { ["epsilon"] = 0.001f }));
        g.Outputs.Add("bn");
        var y = Build.RunOnce(g, a);
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 2; j++)
            {
                double dot = 0;
                for (int k = 0; k < 4; k++) dot += a[r, k] * w[k, j];
                double expected = (dot - mean[j]) / Math.Sqrt(variance[j] + 0.001) * scale[j] + offset[j];
                Assert.Equal(expected, y[r * 2 + j], 4);
            }
    }

    [Fact]
    public void ElementwiseOpsBroadcastAsTensorFlowDoes()
    {
        // (3, 1, 4) against (2, 1): neither equal, nor a last-axis vector, nor a scalar -> the engine's broadcasting op.
        using Tensor a = Build.Random(7, 3, 1, 4), b = Build.Random(8, 2, 1);
        foreach (var (op, f) in new (string, Func<float, float, float>)[]
                 { ("AddV2", (x, y) => x + y), ("Mul", (x, y) => x * y), ("Sub", (x, y) => x - y), ("RealDiv", (x, y) => x / y), ("Maximum", MathF.Max) })
        {
            using var g = new ComputeGraph();
            g.AddInput("a", 3, 1, 4);
            g.AddConstant("b", b, owned: false);
            g.AddNode(new Node("y", op, ["a", "b"]));
            g.Outputs.Add("y");
            var y = Build.RunOnce(g, a);
            Assert.Equal(3 * 2 * 4, y.Length);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 2; j++)
                    for (int k = 0; k < 4; k++)
                        Assert.Equal(f(a[i, 0, k], b[j, 0]), y[(i * 2 + j) * 4 + k]);
        }
    }

    [Fact]
    public void MeanOverAnyAxesAndReshapeByAnInt32Shape()
    {
        using var x = Build.Random(9, 2, 3, 4);
        using var axes = Tensor.FromInt32([-1], 1);
        using var shape = Tensor.FromInt32([3, -1], 2);
        using var g = new ComputeGraph();
        g.AddInput("x", 2, 3, 4);
        g.AddConstant("axes", axes, owned: false);
        g.AddConstant("shape", shape, owned: false);
        g.AddNode(new Node("mean", "Mean", ["x", "axes"], new() { ["keep_dims"] = false }));
        g.AddNode(new Node("flat", "Reshape", ["mean", "shape"]));
        g.Outputs.Add("flat");
        var y = Build.RunOnce(g, x);
        Assert.Equal(6, y.Length);
        for (int r = 0; r < 6; r++)
            Assert.Equal((x[r / 3, r % 3, 0] + x[r / 3, r % 3, 1] + x[r / 3, r % 3, 2] + x[r / 3, r % 3, 3]) / 4, y[r], 5);
    }
}

public class PassTests
{
    [Fact]
    public void BiasActivationAndPoolingFuseIntoOneConvolutionWithTheSameValues()
    {
        using Tensor w = Build.Random(1, 3, 3, 4, 8), b = Build.Random(2, 8), x = Build.Random(3, 2, 16, 16, 4);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 16, 16, 4);
        g.AddConstant("w", w, owned: false);
        g.AddConstant("b", b, owned: false);
        Build.ConvBiasReluPool(g);
        g.Outputs.Add("pool");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Equal(["Shikaku.Conv2DMaxPool2x2"], g.Nodes.Select(n => n.Op));
        Assert.Equal("pool", g.Nodes[0].Name);
        Assert.Equal(Build.RunOnce(plain, x), Build.RunOnce(g, x));
    }

    [Fact]
    public void TwoConvolutionsAndPoolingRunImageByImageWithTheSameValues()
    {
        using Tensor w1 = Build.Random(1, 3, 3, 3, 8), b1 = Build.Random(2, 8), w2 = Build.Random(3, 3, 3, 8, 8), b2 = Build.Random(4, 8);
        using var x = Build.Random(5, 2 * Engine.Threads + 2, 20, 20, 3);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 20, 20, 3);
        foreach (var (n, t) in new[] { ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2) }) g.AddConstant(n, t, owned: false);
        g.AddNode(new Node("c1", "_FusedConv2D", ["x", "w1", "b1"], Build.Conv("VALID", "BiasAdd", "Relu")));
        g.AddNode(new Node("c2", "_FusedConv2D", ["c1", "w2", "b2"], Build.Conv("VALID", "BiasAdd", "Relu")));
        g.AddNode(new Node("pool", "MaxPool", ["c2"], Build.Pool2x2));
        g.Outputs.Add("pool");
        using var plain = g.Clone();
        GraphPasses.FuseConvMaxPool(g);
        Assert.Equal(["Shikaku.Conv2DConv2DMaxPool2x2"], g.Nodes.Select(n => n.Op));
        Assert.Equal(Build.RunOnce(plain, x), Build.RunOnce(g, x));
    }

    [Fact]
    public void APoolingWhoseConvolutionHasAnotherReaderIsNotFused()
    {
        using Tensor w = Build.Random(1, 3, 3, 2, 8), b = Build.Random(2, 8);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 16, 16, 2);
        g.AddConstant("w", w, owned: false);
        g.AddConstant("b", b, owned: false);
        g.AddNode(new Node("conv", "_FusedConv2D", ["x", "w", "b"], Build.Conv("SAME", "BiasAdd", "Relu")));
        g.AddNode(new Node("pool", "MaxPool", ["conv"], Build.Pool2x2));
        g.Outputs.AddRange(["pool", "conv"]);
        GraphPasses.Optimize(g);
        Assert.Equal(["_FusedConv2D", "MaxPool"], g.Nodes.Select(n => n.Op));
    }

    [Fact]
    public void BatchNormFoldsIntoTheConvolutionToFloatRounding()
    {
        foreach (bool depthwise in new[] { false, true })
        {
            using Tensor w = depthwise ? Build.Random(1, 3, 3, 4, 1) : Build.Random(1, 3, 3, 4, 6), x = Build.Random(9, 2, 10, 10, 4);
            int c = depthwise ? 4 : 6;
            using Tensor scale = Build.Random(2, c), offset = Build.Random(3, c), mean = Build.Random(4, c), bias = Build.Random(6, c);
            using var variance = Tensor.Full(new Shape(c), 0.7f);
            using var g = new ComputeGraph();
            g.AddInput("x", -1, 10, 10, 4);
            foreach (var (n, t) in new[] { ("w", w), ("scale", scale), ("offset", offset), ("mean", mean), ("var", variance), ("bias", bias) }) g.AddConstant(n, t, owned: false);
            g.AddNode(new Node("conv", depthwise ? "DepthwiseConv2dNative" : "Conv2D", ["x", "w"], Build.Conv()));
            g.AddNode(new Node("bias_add", "BiasAdd", ["conv", "bias"]));
            g.AddNode(new Node("bn", "FusedBatchNormV3", ["bias_add", "scale", "offset", "mean", "var"], new() { ["epsilon"] = 0.001f }));
            g.AddNode(new Node("act", "Relu6", ["bn"]));
            g.Outputs.Add("act");
            using var plain = g.Clone();
            GraphPasses.Optimize(g);
            Assert.Equal([depthwise ? "FusedDepthwiseConv2dNative" : "_FusedConv2D"], g.Nodes.Select(n => n.Op));
            Assert.Equal(["BiasAdd", "Relu6"], g.Nodes[0].Attributes.Strings("fused_ops"));
            Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 1e-5f);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MobileNetV3sHardSwishBecomesOneActivationOfTheConvolution(bool gateFirst)
    {
        // x * relu6(x + 3) * (1/6), written both ways TF converters write it; x is a convolution with a bias.
        using Tensor w = Build.Random(1, 3, 3, 3, 5), bias = Build.Random(2, 5), x = Build.Random(5, 2, 9, 9, 3);
        using Tensor three = Tensor.FromArray([3f]), sixth = Tensor.FromArray([1f / 6]);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 9, 9, 3);
        foreach (var (n, t) in new[] { ("w", w), ("bias", bias), ("three", three), ("sixth", sixth) }) g.AddConstant(n, t, owned: false);
        g.AddNode(new Node("conv", "_FusedConv2D", ["x", "w", "bias"], Build.Conv("SAME", "BiasAdd")));
        g.AddNode(new Node("add", "Add", ["conv", "three"]));
        g.AddNode(new Node("relu6", "Relu6", ["add"]));
        if (gateFirst)
        {
            g.AddNode(new Node("gated", "Mul", ["relu6", "conv"]));
            g.AddNode(new Node("hs", "Mul", ["gated", "sixth"]));
        }
        else
        {
            g.AddNode(new Node("scaled", "Mul", ["sixth", "conv"]));
            g.AddNode(new Node("hs", "Mul", ["scaled", "relu6"]));
        }
        g.AddNode(new Node("out", "Relu", ["hs"]));
        g.Outputs.Add("out");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Equal(["_FusedConv2D", "Relu"], g.Nodes.Select(n => n.Op));
        Assert.Equal(["BiasAdd", "Shikaku.HardSwish"], g.Nodes[0].Attributes.Strings("fused_ops"));
        Assert.Equal("hs", g.Nodes[0].Name);
        Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 1e-5f);
    }

    [Theory]
    [InlineData("Relu")]
    [InlineData("Relu6")]
    [InlineData("Prelu")]
    public void AResidualSumAndItsActivationBecomeOnePass(string activation)
    {
        // The block of BlazeFace and facemesh: act(x + conv(x)); the sum's other reader keeps it apart from the conv.
        using Tensor w = Build.Random(1, 1, 1, 6, 6), bias = Build.Random(2, 6), slopes = Build.Random(3, 6), x = Build.Random(5, 2, 7, 7, 6);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 7, 7, 6);
        foreach (var (n, t) in new[] { ("w", w), ("bias", bias), ("slopes", slopes) }) g.AddConstant(n, t, owned: false);
        g.AddNode(new Node("conv", "_FusedConv2D", ["x", "w", "bias"], Build.Conv("SAME", "BiasAdd")));
        g.AddNode(new Node("sum", "AddV2", ["x", "conv"]));
        g.AddNode(activation == "Prelu" ? new Node("act", "Prelu", ["sum", "slopes"]) : new Node("act", activation, ["sum"]));
        g.Outputs.Add("act");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Equal(["_FusedConv2D", "Shikaku.AddActivation"], g.Nodes.Select(n => n.Op));
        Assert.Equal("act", g.Nodes[1].Name);
        Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 0f);
    }

    [Fact]
    public void AFusedResidualPreluWithSlopesOfAWholeTrailingShapeOrAnEmptySumIsStillRight()
    {
        // Keras' default PReLU slopes cover H x W x C (4800 values, more than one block of the fused pass).
        using Tensor w = Build.Random(1, 1, 1, 300, 300), bias = Build.Random(2, 300), slopes = Build.Random(3, 4, 4, 300), x = Build.Random(5, 1, 4, 4, 300);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 4, 4, 300);
        foreach (var (n, t) in new[] { ("w", w), ("bias", bias), ("slopes", slopes) }) g.AddConstant(n, t, owned: false);
        g.AddNode(new Node("conv", "_FusedConv2D", ["x", "w", "bias"], Build.Conv("SAME", "BiasAdd")));
        g.AddNode(new Node("sum", "AddV2", ["x", "conv"]));
        g.AddNode(new Node("act", "Prelu", ["sum", "slopes"]));
        g.Outputs.Add("act");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Contains(g.Nodes, n => n.Op == "Shikaku.AddActivation");
        Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 0f);

        using var e = new ComputeGraph();
        e.AddInput("a", -1, 0);
        e.AddInput("b", -1, 0);
        e.AddNode(new Node("act", "Shikaku.AddActivation", ["a", "b"], new() { ["activation"] = "Relu" }));
        e.Outputs.Add("act");
        using Tensor a = Tensor.Zeros(2, 0), b = Tensor.Zeros(2, 0);
        using var y = GraphPlan.Compile(e).Run(a, b)[0];
        Assert.Equal(new Shape(2, 0), y.Shape);
    }

    [Fact]
    public void AHardSwishWithOtherConstantsIsLeftAlone()
    {
        using Tensor three = Tensor.FromArray([3f]), sixth = Tensor.FromArray([0.2f]);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 4);
        g.AddConstant("three", three, owned: false);
        g.AddConstant("sixth", sixth, owned: false);
        g.AddNode(new Node("add", "AddV2", ["x", "three"]));
        g.AddNode(new Node("relu6", "Relu6", ["add"]));
        g.AddNode(new Node("scaled", "Mul", ["x", "sixth"]));
        g.AddNode(new Node("hs", "Mul", ["scaled", "relu6"]));
        g.Outputs.Add("hs");
        GraphPasses.FuseHardSwish(g);
        Assert.Equal(4, g.Nodes.Count); // 0.2 is not 1/6
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("AddV2")]
    public void AnAddOfAConstantVectorAfterAConvolutionIsItsBias(string op)
    {
        // Converted Keras models (MediaPipe's selfie segmentation) write the bias as TF's older Add, then the activation.
        using Tensor w = Build.Random(1, 1, 1, 3, 5), bias = Build.Random(2, 5), x = Build.Random(5, 2, 6, 6, 3);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 6, 6, 3);
        g.AddConstant("w", w, owned: false);
        g.AddConstant("bias", bias, owned: false);
        g.AddNode(new Node("conv", "Conv2D", ["x", "w"], Build.Conv()));
        g.AddNode(new Node("add", op, ["conv", "bias"]));
        g.AddNode(new Node("act", "Relu", ["add"]));
        g.Outputs.Add("act");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Equal(["_FusedConv2D"], g.Nodes.Select(n => n.Op));
        Assert.Equal(["BiasAdd", "Relu"], g.Nodes[0].Attributes.Strings("fused_ops"));
        Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 1e-6f);
    }

    [Fact]
    public void ABiasOfTheWrongLengthIsNotFoldedIntoAConvolution()
    {
        using Tensor w = Build.Random(1, 3, 3, 3, 5), one = Tensor.FromArray([2f], 1), x = Build.Random(5, 1, 6, 6, 3);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 6, 6, 3);
        g.AddConstant("w", w, owned: false);
        g.AddConstant("one", one, owned: false);
        g.AddNode(new Node("conv", "Conv2D", ["x", "w"], Build.Conv()));
        g.AddNode(new Node("add", "AddV2", ["conv", "one"])); // broadcasts 2 to every channel: not a bias
        g.Outputs.Add("add");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Equal(["Conv2D", "AddV2"], g.Nodes.Select(n => n.Op));
        Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 0f);
    }

    [Fact]
    public void AnAddAfterAMatMulIsItsBiasOnlyWithAValuePerColumn()
    {
        // Dense layers written as MatMul + Add: a 4-vector on a 4-column product is the bias; a single value broadcasts.
        using Tensor w = Build.Random(1, 6, 4), bias = Build.Random(2, 4), one = Tensor.FromArray([2f], 1), x = Build.Random(3, 5, 6);
        foreach (var (constant, fused) in new[] { ("bias", true), ("one", false) })
        {
            using var g = new ComputeGraph();
            g.AddInput("x", -1, 6);
            g.AddConstant("w", w, owned: false);
            g.AddConstant(constant, constant == "bias" ? bias : one, owned: false);
            g.AddNode(new Node("dense", "MatMul", ["x", "w"]));
            g.AddNode(new Node("add", "Add", ["dense", constant]));
            g.Outputs.Add("add");
            using var plain = g.Clone();
            GraphPasses.Optimize(g);
            Assert.Equal(fused ? ["_FusedMatMul"] : ["MatMul", "Add"], g.Nodes.Select(n => n.Op));
            Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 1e-6f);
        }
    }

    [Fact]
    public void AScaleLayerOfMulAndAddFoldsIntoTheConvolution()
    {
        using Tensor w = Build.Random(1, 3, 3, 3, 5), bias = Build.Random(2, 5), s = Build.Random(3, 5), shift = Build.Random(4, 5), x = Build.Random(5, 1, 9, 9, 3);
        using var g = new ComputeGraph();
        g.AddInput("x", -1, 9, 9, 3);
        foreach (var (n, t) in new[] { ("w", w), ("bias", bias), ("s", s), ("shift", shift) }) g.AddConstant(n, t, owned: false);
        g.AddNode(new Node("conv", "Conv2D", ["x", "w"], Build.Conv()));
        g.AddNode(new Node("bias_add", "BiasAdd", ["conv", "bias"]));
        g.AddNode(new Node("mul", "Mul", ["bias_add", "s"]));
        g.AddNode(new Node("add", "AddV2", ["mul", "shift"]));
        g.AddNode(new Node("relu", "Relu", ["add"]));
        g.Outputs.Add("relu");
        using var plain = g.Clone();
        GraphPasses.Optimize(g);
        Assert.Equal(["_FusedConv2D"], g.Nodes.Select(n => n.Op));
        Assert.Equal("relu", g.Nodes[0].Name);
        Build.AssertClose(Build.RunOnce(plain, x), Build.RunOnce(g, x), 1e-5f);
        // The folded weights are the graph's own (disposed with it); the originals are untouched.
        Assert.DoesNotContain("w", g.Nodes[0].Inputs);
        _ = w.Span;
    }
}
