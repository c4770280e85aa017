using System.Diagnostics;
using System.Text.Json.Nodes;
using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.Testing;
using static Shikaku.Tests.GraphJson;

namespace Shikaku.Tests;

/// <summary>
/// A TF.js graph model is untrusted: whatever its JSON or shards say, loading ends (within a minute: a hang would be
/// forever) in a model or in a <see cref="ModelFormatException"/> / <see cref="GraphException"/> naming the file and
/// the node, never a crash, a read outside the model's folder, or an allocation the files do not back.
/// </summary>
// Outside the model folder: 24 bytes, exactly what the valid model's shard holds, so only the path check can refuse it.
public sealed class HostileGraphModelTests() : HostileFolderTest("shikaku-hostile-graph", secretBytes: 24)
{
    private string Folder => ModelFolder;

    /// <summary>x [-1, 4] -> AddV2 with a float32 constant [4] -> Relu -> Reshape to an int32 constant's [2, 2] (24 bytes of weights).</summary>
    private static GraphJson Valid()
    {
        var m = new GraphJson();
        m.Placeholder("x", "DT_FLOAT", -1, 4);
        m.ConstFloat("w", [4], [1f, -1f, 0.5f, 2f]);
        m.ConstInt("shape", [2], [2, 2]);
        m.Node("add", "AddV2", ["x", "w"], ("T", Type("DT_FLOAT")));
        m.Node("relu", "Relu", ["add"], ("T", Type("DT_FLOAT")));
        m.Node("out", "Reshape", ["relu", "shape"], ("T", Type("DT_FLOAT")), ("Tshape", Type("DT_INT32")));
        return m;
    }

    private string Write(GraphJson m, bool writeShards = true) => m.Write(Folder, writeShards);

    /// <summary>The model JSON with <paramref name="edit"/> applied to its parsed form.</summary>
    private string WriteEdited(GraphJson m, Action<JsonObject> edit)
    {
        string path = Write(m);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static JsonArray Nodes(JsonObject json) => json["modelTopology"]!["node"]!.AsArray();
    private static JsonObject NodeNamed(JsonObject json, string name) => Nodes(json).Single(n => (string)n!["name"]! == name)!.AsObject();
    private static JsonObject Weight(JsonObject json, string name) => json["weightsManifest"]![0]!["weights"]!.AsArray().Single(w => (string)w!["name"]! == name)!.AsObject();

    private static T Refused<T>(Func<object> load) where T : Exception
    {
        var task = Task.Run(() => { (load() as IDisposable)?.Dispose(); });
        Assert.True(Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60))).Result == task, "loading did not return within 60 s");
        Assert.True(task.IsFaulted, "the model was accepted");
        return Assert.IsType<T>(task.Exception!.InnerException);
    }

    /// <summary>Loading <paramref name="path"/> fails with a <see cref="ModelFormatException"/> naming the file.</summary>
    private static ModelFormatException RefusedModel(string path)
    {
        var e = Refused<ModelFormatException>(() => TfjsGraphModel.Load(path));
        Assert.Contains(Path.GetFileName(path), e.Message);
        return e;
    }

    [Fact]
    public void The_valid_model_loads_and_runs()
    {
        using var model = TfjsGraphModel.Load(Write(Valid()));
        using var y = model.Compile().Run(Shikaku.Tensors.Tensor.FromArray([-1f, 2f, -0.5f, 0f], 1, 4))[0];
        Assert.Equal([2, 2], y.Shape.ToArray());
        Assert.Equal([0f, 1f, 0f, 2f], y.ToArray());
    }

    [Theory]
    [InlineData("w", 5, "describes 28")] // the manifest claims more than the shard holds
    [InlineData("w", 3, "describes 20")] // less
    public void A_lying_weight_size_is_refused_with_the_sizes(string weight, int claimed, string expected)
    {
        string path = WriteEdited(Valid(), j =>
        {
            Weight(j, weight)["shape"] = new JsonArray(claimed);
            NodeNamed(j, weight)["attr"]!["value"]!["tensor"]!["tensorShape"] = ShapeProto(claimed);
        });
        var e = RefusedModel(path);
        Assert.Contains("24 bytes", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_truncated_shard_is_refused()
    {
        string path = Write(Valid());
        File.WriteAllBytes(Path.Combine(Folder, "model.bin"), new byte[23]);
        Assert.Contains("truncated", RefusedModel(path).Message);
        File.Delete(Path.Combine(Folder, "model.bin"));
        Assert.Contains("does not exist", RefusedModel(path).Message);
    }

    [Theory]
    [InlineData("../secret.bin")]
    [InlineData("sub/../../secret.bin")]
    [InlineData("")]
    public void A_shard_path_leaving_the_folder_is_refused(string shard)
    {
        Directory.CreateDirectory(Path.Combine(Folder, "sub"));
        var m = Valid();
        m.Paths[0] = shard;
        Assert.Contains("outside the model folder", RefusedModel(Write(m, writeShards: false)).Message);
    }

    [Fact]
    public void An_absolute_shard_path_outside_is_refused()
    {
        var m = Valid();
        m.Paths[0] = Path.Combine(Root, "secret.bin");
        Assert.Contains("outside the model folder", RefusedModel(Write(m, writeShards: false)).Message);
    }

    [Fact]
    public void A_symbolic_link_out_of_the_folder_is_refused()
    {
        if (OperatingSystem.IsWindows()) return;
        var m = Valid();
        m.Paths[0] = "link.bin";
        string path = Write(m, writeShards: false);
        File.CreateSymbolicLink(Path.Combine(Folder, "link.bin"), Path.Combine(Root, "secret.bin"));
        Assert.Contains("outside the model folder", RefusedModel(path).Message);
    }

    [Fact]
    public void Fifos_devices_folders_and_oversized_files_are_refused_at_once()
    {
        if (OperatingSystem.IsWindows()) return;
        string path = Write(Valid());
        string shard = Path.Combine(Folder, "model.bin");
        File.Delete(shard);
        using (var p = Process.Start("mkfifo", shard)) p.WaitForExit();
        Assert.Contains("FIFO", RefusedModel(path).Message);

        File.Delete(path);
        using (var p = Process.Start("mkfifo", path)) p.WaitForExit();
        Assert.Contains("FIFO", RefusedModel(path).Message);
        File.Delete(path);
        File.CreateSymbolicLink(path, "/dev/zero");
        Assert.Contains("character device", RefusedModel(path).Message);
        File.Delete(path);
        Directory.CreateDirectory(path);
        Assert.Contains("folder", RefusedModel(path).Message);
        Directory.Delete(path);
        using (var f = new FileStream(path, FileMode.Create)) f.SetLength(TfjsGraphModel.MaxModelJsonBytes + 1);
        Assert.Contains("more than", RefusedModel(path).Message);
    }

    public static TheoryData<string, string> UnknownDTypes => new()
    {
        { "manifest float64", "float64" },
        { "manifest string", "string" },
        { "manifest complex64", "complex64" },
    };

    [Theory]
    [MemberData(nameof(UnknownDTypes))]
    public void An_unknown_manifest_dtype_is_refused(string what, string dtype)
    {
        var e = RefusedModel(WriteEdited(Valid(), j => Weight(j, "w")["dtype"] = dtype));
        Assert.Contains(dtype, e.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void An_unknown_or_disagreeing_node_dtype_is_refused_naming_the_node()
    {
        var e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "w")["attr"]!["dtype"] = Type("DT_STRING")));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("DT_STRING", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "w")["attr"]!["dtype"] = Type("DT_INT32")));
        Assert.Contains("'w' is DT_INT32", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "x")["attr"]!["dtype"] = Type("DT_RESOURCE")));
        Assert.Contains("Placeholder 'x'", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "x")["attr"]!["dtype"] = new JsonObject { ["type"] = "FLOAT" }));
        Assert.Contains("node 'x' attribute 'dtype'", e.Message);
    }

    [Fact]
    public void A_const_whose_shape_disagrees_with_its_weight_or_that_has_no_weight_is_refused()
    {
        var e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "w")["attr"]!["value"]!["tensor"]!["tensorShape"] = ShapeProto(2, 2)));
        Assert.Contains("Const node 'w' has shape (2, 2)", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j =>
        {
            NodeNamed(j, "w")["name"] = "w2";
            NodeNamed(j, "add")["input"] = new JsonArray("x", "w2");
        }));
        Assert.Contains("'w2' has no weight", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j => j.Remove("weightsManifest")));
        Assert.Contains("no weightsManifest", e.Message);
    }

    [Fact]
    public void An_unknown_op_is_refused_by_name_with_the_node_that_uses_it()
    {
        var m = Valid();
        m.Node("strange", "FrobnicateV7", ["out"]);
        m.Node("strange2", "FrobnicateV7", ["strange"]);
        m.Node("odd", "NoSuchOp", ["strange2"]);
        string path = Write(m);
        using var model = TfjsGraphModel.Load(path); // inspecting it is fine
        Assert.Equal(["FrobnicateV7", "NoSuchOp"], model.UnsupportedOps().Keys);
        Assert.Equal(["strange", "strange2"], model.UnsupportedOps()["FrobnicateV7"]);
        var e = Assert.Throws<GraphException>(() => model.Compile());
        Assert.Contains("'FrobnicateV7' (node 'strange' and 1 more)", e.Message);
        Assert.Contains("'NoSuchOp' (node 'odd')", e.Message);
        Assert.Contains("model.json", e.Message);
        // The plan's own check names the op and the node too.
        var direct = Assert.Throws<GraphException>(() => GraphPlan.Compile(model.Graph));
        Assert.Contains("'strange'", direct.Message);
        Assert.Contains("'FrobnicateV7'", direct.Message);
        // Asked to check at load, the loader refuses it then.
        Assert.Contains("'NoSuchOp' (node 'odd')", Refused<GraphException>(() => TfjsGraphModel.Load(path, OpRegistry.Default)).Message);
    }

    [Fact]
    public void An_op_given_the_wrong_number_of_inputs_is_a_graph_error_naming_the_node()
    {
        var m = Valid();
        m.Node("conv", "Conv2D", ["out"], ("padding", S("VALID")));
        using var model = TfjsGraphModel.Load(Write(m));
        Assert.Contains("'conv'", Assert.Throws<GraphException>(() => model.Compile()).Message);
    }

    [Fact]
    public void A_duplicate_node_name_is_refused()
    {
        var m = Valid();
        m.Node("relu", "Relu", ["add"]);
        Assert.Contains("two nodes are named 'relu'", RefusedModel(Write(m)).Message);
    }

    [Theory]
    [InlineData("ghost")]
    [InlineData("ghost:1")]
    [InlineData("^ghost")]
    public void An_input_naming_nothing_is_refused(string input)
    {
        var m = Valid();
        m.Node("late", "Identity", ["out", input]);
        var e = RefusedModel(Write(m));
        Assert.Contains("node 'late' input 1", e.Message);
        Assert.Contains("names no node", e.Message);
    }

    [Fact]
    public void A_cycle_is_refused_naming_its_nodes()
    {
        var m = Valid();
        m.Node("a", "Identity", ["out", "c"]);
        m.Node("b", "Identity", ["a"]);
        m.Node("c", "Identity", ["^b"]);
        var e = RefusedModel(Write(m));
        Assert.Contains("cycle: a -> c -> b -> a", e.Message);
        var self = Valid();
        self.Node("loop", "Identity", ["loop"]);
        Assert.Contains("cycle: loop -> loop", RefusedModel(Write(self)).Message);
    }

    [Fact]
    public void A_chain_deeper_than_the_limit_is_refused_without_recursion()
    {
        // Written deepest first, so that a depth-first walk in file order must go all the way down at once.
        var m = Valid();
        for (int i = TfjsGraphModel.MaxDepth; i >= 0; i--) m.Node($"n{i}", "Identity", [i == 0 ? "out" : $"n{i - 1}"]);
        Assert.Contains($"more than {TfjsGraphModel.MaxDepth} nodes", RefusedModel(Write(m)).Message);
        // The same chain in running order is no deeper than one step at a time, and loads.
        var ordered = Valid();
        for (int i = 0; i <= TfjsGraphModel.MaxDepth; i++) ordered.Node($"n{i}", "Identity", [i == 0 ? "out" : $"n{i - 1}"]);
        using var model = TfjsGraphModel.Load(Write(ordered));
        Assert.Equal(TfjsGraphModel.MaxDepth + 1 + 3, model.Graph.Nodes.Count);
    }

    [Fact]
    public void Shapes_of_two_to_the_31_elements_are_refused()
    {
        var e = RefusedModel(WriteEdited(Valid(), j =>
        {
            Weight(j, "w")["shape"] = new JsonArray(65536, 32768);
            NodeNamed(j, "w")["attr"]!["value"]!["tensor"]!["tensorShape"] = ShapeProto(65536, 32768);
        }));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("more than", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "x")["attr"]!["shape"] = new JsonObject { ["shape"] = ShapeProto(-1, 65536, 32768) }));
        Assert.Contains("Placeholder 'x'", e.Message);
        e = RefusedModel(WriteEdited(Valid(), j => NodeNamed(j, "x")["attr"]!["shape"] = new JsonObject { ["shape"] = ShapeProto(4294967296) }));
        Assert.Contains("attribute 'shape'", e.Message);
    }

    [Fact]
    public void Float16_NaNs_are_refused_by_weight_name_but_infinities_are_kept()
    {
        var m = new GraphJson();
        m.Placeholder("x", "DT_FLOAT", 2);
        m.ConstHalf("h", [2], [(Half)1, Half.NaN]);
        m.Node("y", "AddV2", ["x", "h"]);
        Assert.Contains("'h' holds NaN", RefusedModel(Write(m)).Message);

        var inf = new GraphJson();
        inf.Placeholder("x", "DT_FLOAT", 2);
        inf.ConstHalf("h", [2], [(Half)1, Half.NegativeInfinity]); // as a padding value before max pooling
        inf.Node("y", "AddV2", ["x", "h"]);
        using var model = TfjsGraphModel.Load(Write(inf));
        Assert.Equal([1f, float.NegativeInfinity], model.Graph.Constants["h"].ToArray());
    }

    public static TheoryData<string, string, string> MalformedModels => new()
    {
        { "not JSON", "{", "not valid JSON" },
        { "deeply nested", new string('[', 10_000) + new string(']', 10_000), "not valid JSON" },
        { "top level array", "[]", "top level" },
        { "a layers model", """{"format": "layers-model", "modelTopology": {}}""", "'layers-model'" },
        { "no topology", """{"format": "graph-model"}""", "modelTopology" },
        { "no node list", """{"modelTopology": {"node": {}}}""", "'node'" },
        { "a node not an object", """{"modelTopology": {"node": [1]}}""", "node 0" },
        { "a node without a name", """{"modelTopology": {"node": [{"op": "Relu"}]}}""", "node 0 has no name" },
        { "a name with a colon", """{"modelTopology": {"node": [{"name": "a:1", "op": "Relu"}]}}""", "'a:1'" },
        { "a node without an op", """{"modelTopology": {"node": [{"name": "a"}]}}""", "node 'a' has no op" },
        { "inputs not a list", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "input": "x"}]}}""", "node 'a'" },
        { "an empty input", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "input": [""]}]}}""", "node 'a' input 0" },
        { "an integer that is not", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "attr": {"N": {"i": "two"}}}]}}""", "node 'a' attribute 'N'" },
        { "a string not base64", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "attr": {"padding": {"s": "SAME!"}}}]}}""", "attribute 'padding'" },
        { "two kinds in one value", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "attr": {"x": {"i": "1", "f": 2}}}]}}""", "attribute 'x'" },
        { "an unknown kind", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "attr": {"x": {"q": 1}}}]}}""", "kind 'q'" },
        { "a list of two kinds", """{"modelTopology": {"node": [{"name": "a", "op": "Relu", "attr": {"x": {"list": {"i": ["1"], "s": ["YQ=="]}}}}]}}""", "attribute 'x'" },
        { "duplicate keys", """{"modelTopology": {"node": []}, "modelTopology": {"node": []}}""", "not valid JSON" },
        { "generatedBy not a string", """{"generatedBy": 7, "modelTopology": {"node": []}}""", "'generatedBy'" },
        { "no nodes", """{"modelTopology": {"node": []}}""", "no nodes" },
        { "a cycle through a control input", """{"modelTopology": {"node": [{"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "1"}]}}}}, {"name": "y", "op": "Identity", "input": ["x"]}, {"name": "z", "op": "Identity", "input": ["y", "^z2"]}, {"name": "z2", "op": "Identity", "input": ["z"]}]}}""", "cycle" },
        { "a placeholder without a shape", """{"modelTopology": {"node": [{"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}}, {"name": "y", "op": "Relu", "input": ["x"]}]}}""", "Placeholder 'x' has no shape" },
        { "a signature output naming nothing", """{"signature": {"outputs": {"out": {"name": "ghost:0"}}}, "modelTopology": {"node": [{"name": "y", "op": "Relu"}]}}""", "signature output 'out'" },
        { "a manifest not a list", """{"modelTopology": {"node": [{"name": "c", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}}, {"name": "y", "op": "Relu", "input": ["c"]}]}, "weightsManifest": {}}""", "weightsManifest" },
    };

    [Theory]
    [MemberData(nameof(MalformedModels))]
    public void A_malformed_model_is_refused_saying_what_is_wrong(string what, string json, string expected)
    {
        string path = Path.Combine(Folder, "model.json");
        File.WriteAllText(path, json);
        var e = RefusedModel(path);
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {e.Message}");
    }
}
