using System.Text.Json.Nodes;
using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.Tensors;
using Shikaku.Testing;
using static Shikaku.Tests.GraphJson;

namespace Shikaku.Tests;

/// <summary>
/// The TF.js graph-model loader on small graphs written as tensorflowjs_converter writes them: attributes reach the
/// op kernels under TF's names, weights from several shards (float16, float32, int32, empty) become constants,
/// control inputs and second outputs are wired, and a loaded graph computes what a naive convolution computes.
/// </summary>
public sealed class TfjsGraphModelTests() : TempFolderTest("shikaku-graph-model")
{
    private const int N = 2, H = 5, W = 6, C = 2, K = 3, F = 3, StrideW = 2;

    /// <summary>
    /// x -> Conv2D(w: float16, SAME, stride 1x2) -> BiasAdd(b: float32) -> Relu -> Identity "out" (with a control input),
    /// Relu -> Mean over axes (an int32 constant) -> "pooled", and a zero-size int64 constant; weights over three shards.
    /// </summary>
    private static (GraphJson Model, Half[] Filter, float[] Bias) ConvReluModel(bool control = true)
    {
        var rng = new Random(13);
        var filter = Enumerable.Range(0, K * K * C * F).Select(_ => (Half)(rng.NextSingle() * 2 - 1)).ToArray();
        var bias = new[] { 0.25f, -0.5f, 0.1f };
        var m = new GraphJson();
        m.Paths.Clear();
        m.Paths.AddRange(["group1-shard1of3.bin", "group1-shard2of3.bin", "group1-shard3of3.bin"]);
        m.Placeholder("x", "DT_FLOAT", -1, H, W, C);
        m.ConstHalf("w", [K, K, C, F], filter);
        m.ConstFloat("b", [F], bias);
        m.ConstInt("axes", [2], [1, 2]);
        m.Const("nothing", "DT_INT64", [0, 1], "int32", []); // TF.js keeps int64 constants as int32; this one is empty
        m.Node("conv", "Conv2D", ["x", "w"],
            ("T", Type("DT_FLOAT")), ("strides", Ints(1, 1, StrideW, 1)), ("padding", S("SAME")), ("data_format", S("NHWC")),
            ("dilations", Ints(1, 1, 1, 1)), ("explicit_paddings", EmptyList()), ("use_cudnn_on_gpu", B(true)));
        m.Node("bias", "BiasAdd", ["conv", "b"], ("T", Type("DT_FLOAT")), ("data_format", S("NHWC")));
        m.Node("relu", "Relu", ["bias"], ("T", Type("DT_FLOAT")));
        m.Node("out", "Identity", control ? ["relu", "^conv"] : ["relu"], ("T", Type("DT_FLOAT")));
        m.Node("pooled", "Mean", ["relu", "axes"], ("T", Type("DT_FLOAT")), ("Tidx", Type("DT_INT32")), ("keep_dims", B(false)));
        m.SignatureOutputs(("features", "out:0"), ("pooled", "pooled"));
        return (m, filter, bias);
    }

    /// <summary>TF's SAME convolution, written out: out = ceil(in / stride), padding split with the extra pixel after.</summary>
    private static float[] NaiveConvBiasRelu(float[] x, Half[] filter, float[] bias, out int outW)
    {
        outW = (W + StrideW - 1) / StrideW;
        int padTop = Math.Max((H - 1) * 1 + K - H, 0) / 2, padLeft = Math.Max((outW - 1) * StrideW + K - W, 0) / 2;
        var y = new float[N * H * outW * F];
        for (int n = 0; n < N; n++)
        for (int oy = 0; oy < H; oy++)
        for (int ox = 0; ox < outW; ox++)
        for (int f = 0; f < F; f++)
        {
            double sum = bias[f];
            for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++)
            {
                int iy = oy - padTop + ky, ix = ox * StrideW - padLeft + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                for (int c = 0; c < C; c++)
                    sum += x[((n * H + iy) * W + ix) * C + c] * (float)filter[((ky * K + kx) * C + c) * F + f];
            }
            y[((n * H + oy) * outW + ox) * F + f] = (float)Math.Max(sum, 0);
        }
        return y;
    }

    [Fact]
    public void A_small_graph_loads_and_computes_what_a_naive_convolution_computes()
    {
        var (m, filter, bias) = ConvReluModel();
        using var model = TfjsGraphModel.Load(m.Write(Root));
        var rng = new Random(7);
        var x = Enumerable.Range(0, N * H * W * C).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        var expected = NaiveConvBiasRelu(x, filter, bias, out int outW);

        var plan = model.Compile();
        using var input = Tensor.FromArray(x, N, H, W, C);
        var outputs = plan.Run(input);
        using var features = outputs[0];
        using var pooled = outputs[1];
        Assert.Equal([N, H, outW, F], features.Shape.ToArray());
        var got = features.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-5, $"value {i}: {got[i]} != {expected[i]}");
        Assert.Equal([N, F], pooled.Shape.ToArray());
        for (int n = 0; n < N; n++)
        for (int f = 0; f < F; f++)
        {
            double mean = 0;
            for (int p = 0; p < H * outW; p++) mean += expected[(n * H * outW + p) * F + f];
            Assert.Equal(mean / (H * outW), pooled.ToArray()[n * F + f], 5);
        }
    }

    [Fact]
    public void The_optimised_graph_computes_the_same()
    {
        var (m, _, _) = ConvReluModel(control: false); // a control input on the convolution would keep it from fusing
        string path = m.Write(Root);
        var x = Tensor.FromArray(Enumerable.Range(0, N * H * W * C).Select(i => MathF.Sin(i)).ToArray(), N, H, W, C);
        using var plain = TfjsGraphModel.Load(path);
        using var fused = TfjsGraphModel.Load(path);
        var a = plain.Compile().Run(x);
        var b = fused.Compile(optimize: true).Run(x);
        Assert.Contains(fused.Graph.Nodes, n => n.Op == "_FusedConv2D"); // conv + bias + relu became one node named "relu"
        Assert.Equal(a[0].ToArray(), b[0].ToArray());
        Assert.Equal(plain.NodeCount, fused.NodeCount); // the counts describe the file
    }

    [Fact]
    public void Attributes_keep_TF_names_and_arrive_typed()
    {
        var (m, _, _) = ConvReluModel();
        m.Node("typed", "Identity", ["relu"],
            ("epsilon", new JsonObject { ["f"] = 0 }), ("alpha", new JsonObject { ["f"] = "-Infinity" }), ("num", new JsonObject { ["i"] = 3 }),
            ("fused_ops", Strings("BiasAdd", "Relu")), ("types", new JsonObject { ["list"] = new JsonObject { ["type"] = new JsonArray("DT_FLOAT", 3) } }),
            ("shape", new JsonObject { ["shape"] = ShapeProto(-1, 7, 0) }), ("floats", new JsonObject { ["list"] = new JsonObject { ["f"] = new JsonArray(0.5, 2) } }),
            ("value", new JsonObject { ["tensor"] = new JsonObject { ["dtype"] = "DT_FLOAT" } }), ("nothing", new JsonObject()),
            ("bools", new JsonObject { ["list"] = new JsonObject { ["b"] = new JsonArray(true) } }), ("T", new JsonObject { ["type"] = 3 }));
        using var model = TfjsGraphModel.Load(m.Write(Root));
        var conv = model.Graph.Nodes.Single(n => n.Name == "conv").Attributes;
        Assert.Equal([1L, 1, 2, 1], conv.Ints("strides"));
        Assert.Equal("SAME", conv.String("padding"));
        Assert.Equal("NHWC", conv.String("data_format"));
        Assert.Equal("DT_FLOAT", conv.String("T"));
        Assert.Empty(conv.Ints("explicit_paddings"));
        Assert.True(conv.Bool("use_cudnn_on_gpu"));
        var typed = model.Graph.Nodes.Single(n => n.Name == "typed").Attributes;
        Assert.Equal(0f, typed.Float("epsilon"));
        Assert.Equal(float.NegativeInfinity, typed.Float("alpha"));
        Assert.Equal(3, typed.Int("num"));
        Assert.Equal(["BiasAdd", "Relu"], typed.Strings("fused_ops"));
        Assert.Equal(["DT_FLOAT", "DT_INT32"], typed.Strings("types"));
        Assert.Equal([-1L, 7, 0], typed.Ints("shape"));
        Assert.Equal([0.5f, 2f], (float[])typed["floats"].Value);
        Assert.Equal("DT_INT32", typed.String("T"));
        // What an AttrValue cannot hold is left out, so that an op needing it says so when compiled.
        Assert.False(typed.ContainsKey("value"));
        Assert.False(typed.ContainsKey("nothing"));
        Assert.False(typed.ContainsKey("bools"));
    }

    [Fact]
    public void Weights_from_several_shards_become_typed_constants_and_metadata_describes_the_file()
    {
        var (m, filter, bias) = ConvReluModel();
        using var model = TfjsGraphModel.Load(m.Write(Root));
        var g = model.Graph;
        Assert.Equal(Enumerable.Range(1, 3).Select(i => $"group1-shard{i}of3.bin"), Directory.GetFiles(Root, "*.bin").Select(Path.GetFileName).Order());
        Assert.Equal(filter.Select(h => (float)h), g.Constants["w"].ToArray());
        Assert.Equal(bias, g.Constants["b"].ToArray());
        Assert.Equal(DType.Int32, g.Constants["axes"].DType);
        Assert.Equal([1, 2], g.Constants["axes"].ToArray<int>());
        Assert.Equal(DType.Int32, g.Constants["nothing"].DType);
        Assert.Equal([0, 1], g.Constants["nothing"].Shape.ToArray());

        Assert.Equal("graph-model", model.Format);
        Assert.Equal("Shikaku tests", model.GeneratedBy);
        Assert.Equal("GraphJson", model.ConvertedBy);
        var input = Assert.Single(model.Inputs);
        Assert.Equal(("x", DType.Float32), (input.Name, input.DType));
        Assert.Equal([-1, H, W, C], input.Shape);
        Assert.Equal([-1, H, W, C], Assert.Single(g.Inputs).Shape);
        Assert.Equal([new TfjsGraphOutput("features", "out"), new TfjsGraphOutput("pooled", "pooled")], model.Outputs);
        Assert.Equal(["out", "pooled"], g.Outputs);
        Assert.Equal(10, model.NodeCount);
        Assert.Equal(new Dictionary<string, int> { ["BiasAdd"] = 1, ["Const"] = 4, ["Conv2D"] = 1, ["Identity"] = 1, ["Mean"] = 1, ["Placeholder"] = 1, ["Relu"] = 1 },
            model.OpCounts);
        Assert.Equal(5, g.Nodes.Count); // Const and Placeholder nodes became constants and inputs
        Assert.Equal(K * K * C * F + F, model.ParameterCount);
        Assert.Equal(K * K * C * F * 2 + F * 4 + 2 * 4, model.WeightBytes); // float16 filter, float32 bias, int32 axes, nothing
        Assert.Equal(["relu", "^conv"], g.Nodes.Single(n => n.Name == "out").Inputs);
        Assert.Empty(model.UnsupportedOps());
    }

    /// <summary>A test-only op with two outputs (x and 2x), to see "pair:1" reach the second one.</summary>
    private sealed class Pair : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            var twice = Tensor.FromArray(x.ToArray().Select(v => 2 * v).ToArray(), x.Shape.ToArray());
            c.SetOutput(0, x.Clone());
            c.SetOutput(1, twice);
        }
    }

    [Fact]
    public void A_second_output_is_read_by_name_colon_index_and_a_registry_can_be_given()
    {
        var m = new GraphJson();
        m.Placeholder("x", "DT_FLOAT", 3);
        m.Node("pair", "Test.Pair", ["x"]);
        m.Node("y", "Identity", ["pair:1"]);
        m.SignatureOutputs(("y", "y:0"), ("direct", "pair:1"), ("first", "pair:0"));
        var ops = new OpRegistry(OpRegistry.Default);
        ops.Register(new OpDefinition("Test.Pair", _ => new Pair(), Outputs: 2));
        using var model = TfjsGraphModel.Load(m.Write(Root), ops);
        Assert.Equal(["y", "pair:1", "pair"], model.Graph.Outputs);
        var outs = model.Compile(ops).Run(Tensor.FromArray([1f, -2f, 3f], 3));
        Assert.Equal([2f, -4f, 6f], outs[0].ToArray());
        Assert.Equal([2f, -4f, 6f], outs[1].ToArray());
        Assert.Equal([1f, -2f, 3f], outs[2].ToArray());
        // Without the op, the default registry refuses it by name and node, at load when asked to check then.
        var e = Assert.Throws<GraphException>(() => TfjsGraphModel.Load(Path.Combine(Root, "model.json"), OpRegistry.Default));
        Assert.Contains("'Test.Pair' (node 'pair')", e.Message);
    }

    [Fact]
    public void Without_a_signature_the_outputs_are_the_nodes_nothing_reads_in_file_order()
    {
        var m = new GraphJson();
        m.Placeholder("x", "DT_FLOAT", -1, 4);
        m.Node("r1", "Relu", ["x"]);
        m.Node("r2", "Relu", ["r1"]);
        m.Node("s", "Sigmoid", ["r1"]);
        m.Node("t", "Tanh", ["r1"]);
        m.Node("after_t", "Identity", ["r2", "^t"]); // a control input counts as a read, as in TF.js
        using var model = TfjsGraphModel.Load(m.Write(Root));
        Assert.Equal(["s", "after_t"], model.Outputs.Select(o => o.Name));
        Assert.Equal(["s", "after_t"], model.Graph.Outputs);
    }

    [Fact]
    public void Inputs_follow_the_signature_order_and_take_integer_types_as_int32()
    {
        var m = new GraphJson();
        m.Placeholder("b", "DT_INT64", 2);
        m.Placeholder("a", "DT_FLOAT", 2);
        m.Node("sum", "Identity", ["a", "^b"]);
        m.Root["signature"] = new JsonObject
        {
            ["inputs"] = new JsonObject { ["a:0"] = new JsonObject { ["name"] = "a:0" }, ["b:0"] = new JsonObject { ["name"] = "b:0" } },
        };
        using var model = TfjsGraphModel.Load(m.Write(Root));
        Assert.Equal(["a", "b"], model.Inputs.Select(i => i.Name));
        Assert.Equal([DType.Float32, DType.Int32], model.Inputs.Select(i => i.DType));
        Assert.Equal(["a", "b"], model.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(["sum"], model.Graph.Outputs);
    }

    [Fact]
    public void A_model_without_weights_needs_no_manifest_and_a_const_control_input_is_dropped()
    {
        var m = new GraphJson();
        m.Placeholder("x", "DT_FLOAT", 2);
        m.Node("r", "Relu", ["x"]);
        var root = JsonNode.Parse(m.Json())!.AsObject();
        root.Remove("weightsManifest");
        File.WriteAllText(Path.Combine(Root, "model.json"), root.ToJsonString());
        using (var model = TfjsGraphModel.Load(Path.Combine(Root, "model.json")))
            Assert.Equal(0, model.WeightBytes);

        var withConst = new GraphJson();
        withConst.Placeholder("x", "DT_FLOAT", 2);
        withConst.Node("r", "Relu", ["x"]);
        var c = withConst.ConstFloat("one", [2], [1f, 1f]);
        withConst.Node("sum", "AddV2", ["r", "one"]);
        string path = withConst.Write(Root);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["modelTopology"]!["node"]!.AsArray().Single(n => (string)n!["name"]! == "one")!["input"] = new JsonArray("^r");
        File.WriteAllText(path, json.ToJsonString());
        using var loaded = TfjsGraphModel.Load(path);
        Assert.Contains("one", loaded.Graph.Constants.Keys);
        Assert.Equal([2f, 1f], loaded.Compile().Run(Tensor.FromArray([1f, -1f], 2))[0].ToArray());
        Assert.NotNull(c);
    }
}
