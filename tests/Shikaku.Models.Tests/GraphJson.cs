using System.Text;
using System.Text.Json.Nodes;

namespace Shikaku.Tests;

/// <summary>
/// Writes small TF.js graph models (model.json with its weightsManifest, and the shards) the way
/// tensorflowjs_converter does: attributes in proto JSON (int64 as strings, strings as base64), so that tests can
/// build both valid graphs and every kind of lie.
/// </summary>
internal sealed class GraphJson
{
    private readonly JsonArray _nodes = [];
    private readonly JsonArray _weights = [];
    private readonly List<byte> _data = [];

    /// <summary>The top level, before <see cref="Write"/> adds modelTopology and weightsManifest (tests may edit it).</summary>
    public JsonObject Root { get; } = new() { ["format"] = "graph-model", ["generatedBy"] = "Shikaku tests", ["convertedBy"] = "GraphJson" };

    /// <summary>The shard file names the manifest lists (by default one, holding every weight).</summary>
    public List<string> Paths { get; } = ["model.bin"];

    public static JsonObject S(string text) => new() { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) };
    public static JsonObject I(long v) => new() { ["i"] = v.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    public static JsonObject F(float v) => new() { ["f"] = v };
    public static JsonObject B(bool v) => new() { ["b"] = v };
    public static JsonObject Type(string dt) => new() { ["type"] = dt };
    public static JsonObject Ints(params long[] v) => new() { ["list"] = new JsonObject { ["i"] = new JsonArray(v.Select(x => (JsonNode)x.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()) } };
    public static JsonObject Strings(params string[] v) => new() { ["list"] = new JsonObject { ["s"] = new JsonArray(v.Select(x => (JsonNode)Convert.ToBase64String(Encoding.UTF8.GetBytes(x))).ToArray()) } };
    public static JsonObject EmptyList() => new() { ["list"] = new JsonObject() };

    public static JsonObject ShapeProto(params long[] dims) =>
        new() { ["dim"] = new JsonArray(dims.Select(d => (JsonNode)(d == 0 ? new JsonObject() : new JsonObject { ["size"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToArray()) };

    /// <summary>Adds a node; <paramref name="attrs"/> are (name, AttrValue JSON) pairs.</summary>
    public JsonObject Node(string name, string op, string[] inputs, params (string Name, JsonNode Value)[] attrs)
    {
        var node = new JsonObject { ["name"] = name, ["op"] = op };
        if (inputs.Length > 0) node["input"] = new JsonArray(inputs.Select(i => (JsonNode)i).ToArray());
        var a = new JsonObject();
        foreach (var (k, v) in attrs) a[k] = v;
        node["attr"] = a;
        node["device"] = "/device:CPU:0";
        _nodes.Add(node);
        return node;
    }

    public void Placeholder(string name, string dtype, params long[] shape) =>
        Node(name, "Placeholder", [], ("dtype", Type(dtype)), ("shape", new JsonObject { ["shape"] = ShapeProto(shape) }));

    /// <summary>A Const node and its weight: <paramref name="bytes"/> are appended to the shard data.</summary>
    public JsonObject Const(string name, string tfType, int[] shape, string manifestDType, byte[] bytes, JsonObject? quantization = null)
    {
        Node(name, "Const", [],
            ("value", new JsonObject { ["tensor"] = new JsonObject { ["dtype"] = tfType, ["tensorShape"] = ShapeProto(shape.Select(d => (long)d).ToArray()) } }),
            ("dtype", Type(tfType)));
        var w = new JsonObject { ["name"] = name, ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()), ["dtype"] = manifestDType };
        if (quantization != null) w["quantization"] = quantization;
        _weights.Add(w);
        _data.AddRange(bytes);
        return w;
    }

    public JsonObject ConstFloat(string name, int[] shape, float[] values) =>
        Const(name, "DT_FLOAT", shape, "float32", values.SelectMany(BitConverter.GetBytes).ToArray());

    public JsonObject ConstHalf(string name, int[] shape, Half[] values) =>
        Const(name, "DT_FLOAT", shape, "float32", values.SelectMany(BitConverter.GetBytes).ToArray(),
            new JsonObject { ["dtype"] = "float16", ["original_dtype"] = "float32" });

    public JsonObject ConstInt(string name, int[] shape, int[] values) =>
        Const(name, "DT_INT32", shape, "int32", values.SelectMany(BitConverter.GetBytes).ToArray());

    /// <summary>Sets signature.outputs: key -> tensor name.</summary>
    public void SignatureOutputs(params (string Key, string Name)[] outputs)
    {
        var o = new JsonObject();
        foreach (var (k, n) in outputs) o[k] = new JsonObject { ["name"] = n, ["dtype"] = "DT_FLOAT" };
        Root["signature"] = new JsonObject { ["outputs"] = o };
    }

    /// <summary>The model JSON text (shard paths as <see cref="Paths"/>).</summary>
    public string Json()
    {
        var root = (JsonObject)Root.DeepClone();
        root["modelTopology"] = new JsonObject { ["node"] = _nodes.DeepClone(), ["library"] = new JsonObject(), ["versions"] = new JsonObject() };
        if (!root.ContainsKey("weightsManifest"))
            root["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray(Paths.Select(p => (JsonNode)p).ToArray()), ["weights"] = _weights.DeepClone() });
        return root.ToJsonString();
    }

    /// <summary>The shard bytes.</summary>
    public byte[] Data => _data.ToArray();

    /// <summary>
    /// Writes <c>model.json</c> into <paramref name="dir"/> and the shard data split over <see cref="Paths"/> (equal
    /// parts, the last one taking the rest) unless <paramref name="writeShards"/> is false; returns the JSON's path.
    /// </summary>
    public string Write(string dir, bool writeShards = true)
    {
        Directory.CreateDirectory(dir);
        if (writeShards)
        {
            var data = Data;
            int part = data.Length / Paths.Count;
            for (int i = 0; i < Paths.Count; i++)
            {
                int from = i * part, to = i == Paths.Count - 1 ? data.Length : from + part;
                File.WriteAllBytes(Path.Combine(dir, Paths[i]), data[from..to]);
            }
        }
        string path = Path.Combine(dir, "model.json");
        File.WriteAllText(path, Json());
        return path;
    }
}
