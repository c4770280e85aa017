using Shikaku.Tensors;
using static Shikaku.Graph.Tests.TfOps.TfGraph;

namespace Shikaku.Graph.Tests.TfOps;

/// <summary>Bad nodes are errors that name the node; small graphs wire the ops as the real models do.</summary>
public class TfValidationTests
{
    private static Nd X => Nd.Random(new Random(1), DType.Float32, 1, 4, 4, 2);

    public static TheoryData<string, int> WrongInputCounts() => new()
    {
        { "Relu", 2 }, { "AddV2", 1 }, { "AddV2", 3 }, { "Conv2D", 1 }, { "_FusedConv2D", 5 }, { "StridedSlice", 3 }, { "GatherV2", 2 },
        { "Pad", 3 }, { "TopKV2", 1 }, { "ResizeBilinear", 1 }, { "FusedBatchNormV3", 4 }, { "Identity", 2 }, { "Range", 2 }, { "Prelu", 1 },
        { "Conv2DBackpropInput", 2 }, { "SelectV2", 2 }, { "ConcatV2", 1 }, { "Transpose", 1 }, { "Cast", 0 },
    };

    [Theory]
    [MemberData(nameof(WrongInputCounts))]
    public void AWrongNumberOfInputsIsRefusedWhenCompiling(string op, int count)
    {
        using var g = new ComputeGraph();
        g.AddInput("x", 1, 4, 4, 2);
        g.AddNode(new Node("node", op, Enumerable.Repeat("x", count).Append("^x").ToArray(), new() { ["DstT"] = "DT_FLOAT", ["padding"] = "SAME" }));
        g.Outputs.Add("node");
        var e = Assert.Throws<GraphException>(() => GraphPlan.Compile(g));
        Assert.Contains("'node'", e.Message);
        Assert.Contains($"got {count}", e.Message);
    }

    [Fact]
    public void BadAttributesNameTheNode()
    {
        Assert.Contains("'ksize' is missing", Fails("MaxPool", null, F(X)).Message);
        Assert.Contains("data_format 'NDHWC'", Fails("MaxPool", new() { ["ksize"] = AttrValue.Ints(1, 2, 2, 1), ["data_format"] = "NDHWC" }, F(X)).Message);
        Assert.Contains("'num_split' is 0", Fails("Split", new() { ["num_split"] = 0 }, C(Nd.Scalar(0)), F(X)).Message);
        Assert.Contains("output_type", Fails("ArgMax", new() { ["output_type"] = "DT_FLOAT" }, F(X), C(Nd.Scalar(0))).Message);
        Assert.Contains("fused_ops", Fails("_FusedConv2D", new() { ["fused_ops"] = AttrValue.Strings("BiasAdd", "Elu") },
            F(X), C(Nd.Random(new Random(2), DType.Float32, 1, 1, 2, 2)), C(Nd.Floats([2], 0, 0))).Message);
        Assert.Contains("a mask", Fails("StridedSlice", new() { ["begin_mask"] = -1 }, F(X), C(Nd.Vector(0)), C(Nd.Vector(1)), C(Nd.Vector(1))).Message);
        Assert.Contains("int32 or int64", Fails("Transpose", null, F(X), C(Nd.Floats([4], 0, 1, 2, 3))).Message);
    }

    [Fact]
    public void AKernelsComplaintAtRunTimeNamesItsNode()
    {
        // A convolution fed int32 images: the kernel refuses the dtype, the plan says which node.
        var e = Fails("Conv2D", new() { ["padding"] = "SAME" }, F(Nd.Random(new Random(3), DType.Int32, 1, 3, 3, 1)), C(Nd.Random(new Random(4), DType.Float32, 1, 1, 1, 1)));
        Assert.Contains("Conv2D", e.Message);
        Assert.Contains("Node 'node' (MatMul)", Fails("MatMul", null, F(Nd.Floats([3], 1, 2, 3)), F(Nd.Floats([3], 1, 2, 3))).Message);
    }

    [Fact]
    public void SplitOutputsAreReadByIndexAndAMissingOneIsNamed()
    {
        using var g = new ComputeGraph();
        using var x = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 6);
        using var axis = Tensor.FromInt32([0]);
        g.AddInput("x", 6);
        g.AddConstant("axis", axis, owned: false);
        g.AddNode(new Node("split", "Split", ["axis", "x"], new() { ["num_split"] = 3 }));
        g.AddNode(new Node("sum", "AddV2", ["split:2", "split"]));
        g.Outputs.Add("sum");
        g.Outputs.Add("split:1");
        var outputs = GraphPlan.Compile(g).Run(x);
        Assert.Equal([6f, 8f], outputs[0].ToArray());
        Assert.Equal([3f, 4f], outputs[1].ToArray());
        foreach (var o in outputs) o.Dispose();
        g.Outputs.Add("split:3");
        Assert.Contains("output 3 of 'split'", Assert.Throws<GraphException>(() => GraphPlan.Compile(g)).Message);
    }

    [Fact]
    public void CenternetsUpsamplingSizeIsComputedFromTheShape()
    {
        // Shape -> StridedSlice [1:3] -> Mul by 2 -> ResizeBilinear: the size exists only at run time.
        using var g = new ComputeGraph();
        using Tensor begin = Tensor.FromInt32([1], 1), end = Tensor.FromInt32([3], 1), stride = Tensor.FromInt32([1], 1), two = Tensor.FromInt32([2]);
        g.AddInput("x", 1, -1, -1, 2);
        g.AddConstant("b", begin, owned: false);
        g.AddConstant("e", end, owned: false);
        g.AddConstant("s", stride, owned: false);
        g.AddConstant("two", two, owned: false);
        g.AddNode(new Node("shape", "Shape", ["x"]));
        g.AddNode(new Node("hw", "StridedSlice", ["shape", "b", "e", "s"]));
        g.AddNode(new Node("size", "Mul", ["hw", "two"]));
        g.AddNode(new Node("up", "ResizeBilinear", ["x", "size"], new() { ["align_corners"] = false, ["half_pixel_centers"] = false }));
        g.Outputs.Add("up");
        var plan = GraphPlan.Compile(g);
        foreach (var (h, w) in new[] { (3, 5), (4, 4) })
        {
            var x = Nd.Random(new Random(h), DType.Float32, 1, h, w, 2);
            using var input = x.ToTensor();
            using var y = plan.Run(input)[0];
            // Legacy TF resize by 2: source = destination / 2.
            var expected = Nd.Build([1, 2 * h, 2 * w, 2], i =>
            {
                double sy = i[1] / 2.0, sx = i[2] / 2.0;
                int y0 = (int)sy, x0 = (int)sx, y1 = Math.Min(h - 1, y0 + 1), x1 = Math.Min(w - 1, x0 + 1);
                double top = x[0, y0, x0, i[3]] + (x[0, y0, x1, i[3]] - x[0, y0, x0, i[3]]) * (sx - x0);
                double bottom = x[0, y1, x0, i[3]] + (x[0, y1, x1, i[3]] - x[0, y1, x0, i[3]]) * (sx - x0);
                return top + (bottom - top) * (sy - y0);
            });
            Same(expected, Nd.Of(y), 1e-5);
        }
    }

    [Fact]
    public void NanodetsReshapeByAnInt64ShapeFromSparseToDense()
    {
        // SparseToDense with no indices (zero-size constants) gives zeros; AddV2 of a constant makes the shape.
        using var g = new ComputeGraph();
        using Tensor idx = Tensor.FromInt64([], 0, 1), dense = Tensor.FromInt64([3], 1), vals = Tensor.FromInt64([], 0), zero = Tensor.FromInt64([0]);
        using var baseShape = Tensor.FromInt64([1, 52, -1], 3);
        g.AddInput("x", 1, 52, 52, 4);
        foreach (var (name, t) in new[] { ("idx", idx), ("dense", dense), ("vals", vals), ("zero", zero), ("base", baseShape) }) g.AddConstant(name, t, owned: false);
        g.AddNode(new Node("s2d", "SparseToDense", ["idx", "dense", "vals", "zero"], new() { ["validate_indices"] = true }));
        g.AddNode(new Node("shape", "AddV2", ["base", "s2d"]));
        g.AddNode(new Node("flat", "Reshape", ["x", "shape"]));
        g.Outputs.Add("flat");
        using var x = Tensor.Zeros(1, 52, 52, 4);
        using var y = GraphPlan.Compile(g).Run(x)[0];
        Assert.Equal(new Shape(1, 52, 208), y.Shape);
    }

    [Fact]
    public void MovenetsKeypointPicksGoThroughArgMaxFloorDivPackAndGatherNd()
    {
        // The best cell of each of K heatmaps (flattened H*W), its (y, x) = (i // W, i mod W), gathered as (y, x, k).
        const int h = 5, w = 6, k = 3;
        var heat = Nd.Random(new Random(9), DType.Float32, h * w, k);
        using var g = new ComputeGraph();
        using Tensor axis = Tensor.FromInt32([0]), width = Tensor.FromInt32([w]), keys = Tensor.FromInt32([0, 1, 2], k);
        using var shape = Tensor.FromInt32([h, w, k], 3);
        g.AddInput("heat", h * w, k);
        g.AddConstant("axis", axis, owned: false);
        g.AddConstant("w", width, owned: false);
        g.AddConstant("keys", keys, owned: false);
        g.AddConstant("shape", shape, owned: false);
        g.AddNode(new Node("best", "ArgMax", ["heat", "axis"], new() { ["output_type"] = "DT_INT32" }));
        g.AddNode(new Node("y", "FloorDiv", ["best", "w"]));
        g.AddNode(new Node("x", "FloorMod", ["best", "w"]));
        g.AddNode(new Node("at", "Pack", ["y", "x", "keys"], new() { ["axis"] = 1, ["N"] = 3 }));
        g.AddNode(new Node("grid", "Reshape", ["heat", "shape"]));
        g.AddNode(new Node("score", "GatherNd", ["grid", "at"]));
        g.Outputs.Add("score");
        using var input = heat.ToTensor();
        using var score = GraphPlan.Compile(g).Run(input)[0];
        var expected = Enumerable.Range(0, k).Select(j => Enumerable.Range(0, h * w).Max(i => heat[i, j])).ToArray();
        Assert.Equal(expected, Nd.Of(score).Data);
    }
}
