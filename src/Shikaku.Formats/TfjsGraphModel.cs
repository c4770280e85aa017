using System.Globalization;
using System.Text;
using System.Text.Json;
using Shikaku.Graph;
using Shikaku.IO;
using Shikaku.Tensors;

namespace Shikaku.Formats;

/// <summary>An input of a TF.js graph model: its Placeholder's name, shape (-1: any size) and element type.</summary>
/// <param name="Name">The Placeholder node's name, which is the graph input's name.</param>
/// <param name="Shape">The dimensions; -1 where any size is accepted (often the batch).</param>
/// <param name="DType">The element type fed: float32, or int32 for TF's integer types (as TF.js feeds them).</param>
public sealed record TfjsGraphInput(string Name, int[] Shape, DType DType);

/// <summary>An output of a TF.js graph model: its name in the model's signature (the node's name without one) and the value it reads.</summary>
/// <param name="Name">The signature's key ("output_mesh"), or the node name when the model has no signature.</param>
/// <param name="Value">The value reference in the graph ("Identity_2", "split:1").</param>
public sealed record TfjsGraphOutput(string Name, string Value);

/// <summary>
/// A TF.js graph model (<c>model.json</c> with <c>"format": "graph-model"</c>, as tensorflowjs_converter writes a
/// GraphDef) loaded into a <see cref="ComputeGraph"/>: every node keeps its TF op name and attributes, Const nodes
/// become constants holding their weights (from the <c>weightsManifest</c> inside the file, decoded by the same code
/// as <see cref="TfjsWeights"/>: float32, float16, uint8/uint16-quantized, int32 and bool), Placeholder nodes become
/// the graph's inputs, and the outputs are the signature's (else the nodes nobody reads, in file order).
/// <para>
/// Attributes keep TF's names and arrive as Shikaku <see cref="AttrValue"/>s: <c>i</c> as an integer, <c>f</c> a
/// float, <c>b</c> a bool, <c>s</c> a string (decoded from base64), <c>type</c> TF's enum name as a string
/// (<c>"DT_FLOAT"</c>, <c>"DT_INT32"</c>), <c>shape</c> an integer list (-1 for an unknown size), <c>list</c> of
/// i / f / s / type an integer, float or string list (an empty list an empty integer list). Kinds an
/// <see cref="AttrValue"/> cannot hold (tensors, functions, lists of shapes or bools, a shape of unknown rank)
/// are left out: an op that needs one reports the missing attribute when it is compiled.
/// </para>
/// <para>
/// The file is untrusted: its size is bounded, shard paths must stay inside its folder, every size and dtype is
/// checked, and a duplicate node, an input naming nothing, a cycle or an unknown dtype is a
/// <see cref="ModelFormatException"/> naming the file and the node. Ops are checked when the graph is compiled
/// (<see cref="Compile"/>), or at load when an <see cref="OpRegistry"/> is given: an op without a kernel is refused by
/// name together with the nodes that use it. Int64 constants are held as int32, as TF.js holds them.
/// </para>
/// </summary>
/// <example><code>
/// using var model = TfjsGraphModel.Load("models/centernet.json");
/// Console.WriteLine($"{model.NodeCount} nodes, {model.ParameterCount:N0} parameters, input {string.Join("x", model.Inputs[0].Shape)}");
/// var plan = model.Compile();                       // refuses an op Shikaku lacks, naming it and its nodes
/// using var detections = plan.Run(x)[0];
/// </code></example>
public sealed class TfjsGraphModel : IDisposable
{
    /// <summary>Largest model JSON read (human-models' largest is 0.9 MB); the weights are in the shards, not here.</summary>
    public const long MaxModelJsonBytes = 32 << 20;

    /// <summary>
    /// Longest chain of nodes accepted (human-models' largest graph has 544 nodes): compiling walks the graph depth
    /// first, and a hostile chain as deep as the JSON limit allows must be refused before it can exhaust a small stack.
    /// </summary>
    public const int MaxDepth = 10_000;

    private TfjsGraphModel(string source, ComputeGraph graph) => (Source, Graph) = (source, graph);

    /// <summary>The model file it was loaded from.</summary>
    public string Source { get; }

    /// <summary>The graph (owned by this model: disposing the model disposes the weights).</summary>
    public ComputeGraph Graph { get; }

    /// <summary>The file's <c>format</c> ("graph-model").</summary>
    public string Format { get; private init; } = "graph-model";

    /// <summary>The file's <c>generatedBy</c>: who made the model (often the upstream project), or null.</summary>
    public string? GeneratedBy { get; private init; }

    /// <summary>The file's <c>convertedBy</c>: who converted it to TF.js, or null.</summary>
    public string? ConvertedBy { get; private init; }

    /// <summary>The inputs, in the order <see cref="GraphPlan.Run(Tensor[])"/> takes them.</summary>
    public IReadOnlyList<TfjsGraphInput> Inputs { get; private init; } = [];

    /// <summary>The outputs, in the order a plan returns them.</summary>
    public IReadOnlyList<TfjsGraphOutput> Outputs { get; private init; } = [];

    /// <summary>How many nodes of each op the file holds (Const and Placeholder included), by op name.</summary>
    public IReadOnlyDictionary<string, int> OpCounts { get; private init; } = new Dictionary<string, int>();

    /// <summary>The number of nodes in the file (Const and Placeholder included).</summary>
    public int NodeCount { get; private init; }

    /// <summary>The number of floating-point weight values (the integer constants are shapes, axes and indices).</summary>
    public long ParameterCount { get; private init; }

    /// <summary>The bytes of the weight shards as stored (float16 and quantized weights take less than their float32 values).</summary>
    public long WeightBytes { get; private init; }

    /// <summary>
    /// Loads <paramref name="modelJsonPath"/> and its weight shards (relative to its folder). With
    /// <paramref name="ops"/>, an op it lacks is refused now (a <see cref="GraphException"/> naming the op and its
    /// nodes); without, at <see cref="Compile"/>, so that a model can be inspected before every op it uses exists.
    /// A damaged, lying or unreadable file is a <see cref="ModelFormatException"/> naming the file and the node.
    /// </summary>
    public static TfjsGraphModel Load(string modelJsonPath, OpRegistry? ops = null)
    {
        ArgumentNullException.ThrowIfNull(modelJsonPath);
        if (!File.Exists(modelJsonPath) && !Directory.Exists(modelJsonPath))
            throw new ModelFormatException($"TF.js graph model {modelJsonPath} does not exist.");
        TfjsGraphModel model;
        try
        {
            byte[] json = SafeFile.ReadAllBytes(modelJsonPath, MaxModelJsonBytes, "a TF.js graph model (model.json)");
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            model = new Reader(modelJsonPath).Read(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"TF.js graph model {modelJsonPath} is not valid JSON ({e.Message}).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A FIFO, a device, a folder, an oversized or unreadable file: the user's file is wrong, not Shikaku.
            throw new ModelFormatException(e.Message.Contains(modelJsonPath, StringComparison.Ordinal) ? e.Message : $"{modelJsonPath}: {e.Message}", e);
        }
        if (ops != null)
        {
            try
            {
                model.RefuseUnsupportedOps(ops);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        return model;
    }

    /// <summary>The ops the graph uses that <paramref name="ops"/> (default <see cref="OpRegistry.Default"/>) has no kernel for, each with the nodes using it, sorted by op.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> UnsupportedOps(OpRegistry? ops = null)
    {
        ops ??= OpRegistry.Default;
        var missing = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var node in Graph.Nodes)
        {
            if (ops.Find(node.Op) != null) continue;
            if (!missing.TryGetValue(node.Op, out var nodes)) missing[node.Op] = nodes = new List<string>();
            ((List<string>)nodes).Add(node.Name);
        }
        return missing;
    }

    /// <summary>
    /// Compiles the graph with <paramref name="ops"/> (default <see cref="OpRegistry.Default"/>), first refusing every
    /// op it lacks at once, by name and node. With <paramref name="optimize"/>, <see cref="GraphPasses.Optimize"/>
    /// rewrites <see cref="Graph"/> in place first (the counts above keep describing the file).
    /// </summary>
    public GraphPlan Compile(OpRegistry? ops = null, bool optimize = false)
    {
        RefuseUnsupportedOps(ops ?? OpRegistry.Default);
        if (optimize) GraphPasses.Optimize(Graph);
        return GraphPlan.Compile(Graph, ops);
    }

    private void RefuseUnsupportedOps(OpRegistry ops)
    {
        var missing = UnsupportedOps(ops);
        if (missing.Count == 0) return;
        string Uses(KeyValuePair<string, IReadOnlyList<string>> m) =>
            $"'{m.Key}' (node '{m.Value[0]}'{(m.Value.Count > 1 ? $" and {m.Value.Count - 1} more" : "")})";
        throw new GraphException(
            $"{Source} uses {(missing.Count == 1 ? "an op" : $"{missing.Count} ops")} Shikaku has no kernel for: {string.Join(", ", missing.Select(Uses))}. " +
            "Register a kernel for each (a copy of OpRegistry.Default, OpRegistry.Register) or use a model without them.");
    }

    /// <summary>Disposes the weights.</summary>
    public void Dispose() => Graph.Dispose();

    /// <summary>TF's DataType enum names by number (proto JSON may write an enum either way).</summary>
    private static readonly string[] TfTypeNames =
    [
        "DT_INVALID", "DT_FLOAT", "DT_DOUBLE", "DT_INT32", "DT_UINT8", "DT_INT16", "DT_INT8", "DT_STRING", "DT_COMPLEX64", "DT_INT64",
        "DT_BOOL", "DT_QINT8", "DT_QUINT8", "DT_QINT32", "DT_BFLOAT16", "DT_QINT16", "DT_QUINT16", "DT_UINT16", "DT_COMPLEX128",
        "DT_HALF", "DT_RESOURCE", "DT_VARIANT", "DT_UINT32", "DT_UINT64",
    ];

    /// <summary>The Shikaku dtype TF.js uses for a TF type (every float type as float32, every integer type as int32), or null.</summary>
    internal static DType? DTypeOf(string tfType) => tfType switch
    {
        "DT_FLOAT" or "DT_HALF" or "DT_DOUBLE" or "DT_BFLOAT16" => DType.Float32,
        "DT_INT32" or "DT_INT64" or "DT_INT16" or "DT_INT8" or "DT_UINT8" or "DT_UINT16" or "DT_UINT32" => DType.Int32,
        "DT_BOOL" => DType.Bool,
        _ => null,
    };

    private sealed record RawNode(string Name, string Op, string[] Inputs, Attributes Attributes, JsonElement Attr);

    /// <summary>One reading of one file: every message names it.</summary>
    private sealed class Reader(string path)
    {
        private readonly string _file = path;

        private ModelFormatException Error(string message) => new($"{_file}: {message}");

        public TfjsGraphModel Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error("the top level is not an object; a TF.js graph model has modelTopology and weightsManifest.");
            string format = OptionalString(root, "format") ?? "graph-model";
            string? generatedBy = OptionalString(root, "generatedBy"), convertedBy = OptionalString(root, "convertedBy");
            if (format != "graph-model")
                throw Error($"its format is '{format}', not 'graph-model'. Only graph models (tensorflowjs_converter --output_format tfjs_graph_model) are read.");
            if (!root.TryGetProperty("modelTopology", out var topology) || topology.ValueKind != JsonValueKind.Object)
                throw Error("has no object 'modelTopology'; it is not a TF.js graph model.");
            if (!topology.TryGetProperty("node", out var nodeList) || nodeList.ValueKind != JsonValueKind.Array)
                throw Error("modelTopology has no array 'node'; it is not a TF.js graph model.");

            var nodes = ReadNodes(nodeList);
            if (nodes.Count == 0) throw Error("modelTopology has no nodes; there is nothing to run.");
            var byName = new Dictionary<string, RawNode>(StringComparer.Ordinal);
            foreach (var n in nodes)
                if (!byName.TryAdd(n.Name, n)) throw Error($"two nodes are named '{n.Name}'; every node needs its own name.");
            foreach (var n in nodes)
                for (int i = 0; i < n.Inputs.Length; i++)
                {
                    var r = ValueRef.Parse(n.Inputs[i]);
                    if (!byName.ContainsKey(r.Name))
                        throw Error($"node '{n.Name}' input {i} ('{n.Inputs[i]}') names no node of the graph; the file is damaged or was edited.");
                }
            // Constants and inputs need nothing before them: their inputs (control dependencies) are dropped.
            var computed = nodes.Where(n => n.Op is not ("Const" or "Placeholder")).ToList();
            CheckOrder(computed, byName);

            var signature = root.TryGetProperty("signature", out var sig) && sig.ValueKind == JsonValueKind.Object ? sig : default;
            var inputs = ReadInputs(nodes, signature);
            var outputs = ReadOutputs(nodes, byName, signature);

            var consts = nodes.Where(n => n.Op == "Const").ToList();
            var graph = new ComputeGraph();
            long parameters = 0, weightBytes = 0;
            try
            {
                if (consts.Count > 0)
                {
                    if (!root.TryGetProperty("weightsManifest", out var manifest))
                        throw Error($"has Const nodes ('{consts[0].Name}' ...) but no weightsManifest to give their values.");
                    string folder = Path.GetDirectoryName(Path.GetFullPath(_file))!;
                    using var weights = TfjsWeights.Load(manifest, folder, _file, $"{_file}: weightsManifest", allowInfinities: true);
                    weightBytes = weights.StoredBytes;
                    foreach (var c in consts)
                    {
                        var tensor = weights.Take(c.Name)
                            ?? throw Error($"Const node '{c.Name}' has no weight in the weightsManifest; the file and its manifest disagree.");
                        try
                        {
                            CheckConstant(c, tensor);
                        }
                        catch
                        {
                            tensor.Dispose();
                            throw;
                        }
                        graph.AddConstant(c.Name, tensor, owned: true);
                        if (tensor.DType == DType.Float32) parameters += tensor.Length;
                    }
                }
                foreach (var input in inputs) graph.AddInput(input.Name, input.Shape);
                foreach (var n in computed) graph.AddNode(new Node(n.Name, n.Op, n.Inputs, n.Attributes));
                graph.Outputs.AddRange(outputs.Select(o => o.Value));
            }
            catch
            {
                graph.Dispose();
                throw;
            }
            return new TfjsGraphModel(_file, graph)
            {
                Format = format,
                GeneratedBy = generatedBy,
                ConvertedBy = convertedBy,
                Inputs = inputs,
                Outputs = outputs,
                OpCounts = nodes.GroupBy(n => n.Op, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                NodeCount = nodes.Count,
                ParameterCount = parameters,
                WeightBytes = weightBytes,
            };
        }

        private string? OptionalString(JsonElement obj, string key) =>
            !obj.TryGetProperty(key, out var v) ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw Error($"'{key}' is {v.ValueKind}, not a string.");

        private List<RawNode> ReadNodes(JsonElement list)
        {
            var nodes = new List<RawNode>(list.GetArrayLength());
            int index = 0;
            foreach (var n in list.EnumerateArray())
            {
                if (n.ValueKind != JsonValueKind.Object) throw Error($"node {index} is {n.ValueKind}, not an object with name, op, input and attr.");
                if (!n.TryGetProperty("name", out var nameJson) || nameJson.ValueKind != JsonValueKind.String || nameJson.GetString() is not { Length: > 0 } name)
                    throw Error($"node {index} has no name.");
                // TF's node names: no ':' (it starts an output index) and no leading '^' (a control input).
                if (name.Contains(':') || name[0] == '^') throw Error($"node {index} is named '{name}'; a node name cannot contain ':' or start with '^'.");
                if (!n.TryGetProperty("op", out var opJson) || opJson.ValueKind != JsonValueKind.String || opJson.GetString() is not { Length: > 0 } op)
                    throw Error($"node '{name}' has no op.");
                string[] inputs = [];
                if (n.TryGetProperty("input", out var inputJson))
                {
                    if (inputJson.ValueKind != JsonValueKind.Array) throw Error($"node '{name}': 'input' is {inputJson.ValueKind}, not a list of value names.");
                    inputs = inputJson.EnumerateArray().Select((i, k) =>
                        i.ValueKind == JsonValueKind.String && i.GetString() is { Length: > 0 } s && s != "^"
                            ? s : throw Error($"node '{name}' input {k} is {i.GetRawText()}, not a value name ('node', 'node:1' or '^node').")).ToArray();
                }
                var attrs = new Attributes();
                var attrJson = default(JsonElement);
                if (n.TryGetProperty("attr", out attrJson))
                {
                    if (attrJson.ValueKind != JsonValueKind.Object) throw Error($"node '{name}': 'attr' is {attrJson.ValueKind}, not an object.");
                    foreach (var a in attrJson.EnumerateObject())
                        if (ReadAttr(a.Value, name, a.Name) is { } value) attrs[a.Name] = value;
                }
                nodes.Add(new RawNode(name, op, inputs, attrs, attrJson));
                index++;
            }
            return nodes;
        }

        /// <summary>One TF AttrValue in proto JSON; null for kinds an <see cref="AttrValue"/> does not hold.</summary>
        private AttrValue? ReadAttr(JsonElement v, string node, string attr)
        {
            string where = $"node '{node}' attribute '{attr}'";
            if (v.ValueKind != JsonValueKind.Object) throw Error($"{where} is {v.ValueKind}, not an AttrValue object.");
            var kinds = v.EnumerateObject().ToList();
            if (kinds.Count == 0) return null;
            if (kinds.Count > 1) throw Error($"{where} holds {string.Join(" and ", kinds.Select(k => k.Name))}; an AttrValue holds one kind of value.");
            var (kind, value) = (kinds[0].Name, kinds[0].Value);
            return kind switch
            {
                "i" => Integer(value, where),
                "f" => Float(value, where),
                "b" => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Error($"{where} is {value.GetRawText()}, not true or false."),
                "s" => Text(value, where),
                "type" => TypeName(value, where),
                "shape" => Shape(value, where) is { } dims ? AttrValue.Ints(dims) : null,
                "list" => List(value, where),
                "tensor" or "func" or "placeholder" => null,
                _ => throw Error($"{where} has a value of kind '{kind}', which TF's AttrValue does not have."),
            };
        }

        private AttrValue? List(JsonElement list, string where)
        {
            if (list.ValueKind != JsonValueKind.Object) throw Error($"{where} is a list written as {list.ValueKind}, not an object.");
            AttrValue? result = null;
            string? seen = null;
            foreach (var kind in list.EnumerateObject())
            {
                if (kind.Value.ValueKind != JsonValueKind.Array) throw Error($"{where}: list '{kind.Name}' is {kind.Value.ValueKind}, not an array.");
                if (kind.Value.GetArrayLength() == 0) continue;
                if (seen != null) throw Error($"{where} is a list of both {seen} and {kind.Name}; a TF list holds one kind.");
                seen = kind.Name;
                var items = kind.Value.EnumerateArray();
                result = kind.Name switch
                {
                    "i" => AttrValue.Ints(items.Select(x => Integer(x, where)).ToArray()),
                    "f" => AttrValue.Floats(items.Select(x => Float(x, where)).ToArray()),
                    "s" => AttrValue.Strings(items.Select(x => Text(x, where)).ToArray()),
                    "type" => AttrValue.Strings(items.Select(x => TypeName(x, where)).ToArray()),
                    "b" or "shape" or "tensor" or "func" => null,
                    _ => throw Error($"{where} is a list of '{kind.Name}', which TF's AttrValue does not have."),
                };
                if (result == null) return null;
            }
            return result ?? AttrValue.Ints();
        }

        private long Integer(JsonElement v, string where)
        {
            // proto JSON writes int64 as a string ("1"), and may write it as a number.
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n)) return n;
            if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
            throw Error($"{where} is {v.GetRawText()}, not a whole number.");
        }

        private float Float(JsonElement v, string where)
        {
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d)) return (float)d;
            if (v.ValueKind == JsonValueKind.String)
                switch (v.GetString())
                {
                    case "NaN": return float.NaN;
                    case "Infinity": return float.PositiveInfinity;
                    case "-Infinity": return float.NegativeInfinity;
                    case var s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d): return (float)d;
                }
            throw Error($"{where} is {v.GetRawText()}, not a number.");
        }

        private string Text(JsonElement v, string where)
        {
            if (v.ValueKind == JsonValueKind.String)
            {
                try
                {
                    return Encoding.UTF8.GetString(Convert.FromBase64String(v.GetString()!));
                }
                catch (FormatException) { }
            }
            throw Error($"{where} is {v.GetRawText()}, not a base64 string (proto JSON writes TF's strings as base64).");
        }

        private string TypeName(JsonElement v, string where)
        {
            if (v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.StartsWith("DT_", StringComparison.Ordinal)) return s;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int k) && k > 0 && k < TfTypeNames.Length) return TfTypeNames[k];
            throw Error($"{where} is {v.GetRawText()}, not a TF type (\"DT_FLOAT\", \"DT_INT32\", ...).");
        }

        /// <summary>A TensorShapeProto's dimensions (-1 unknown; a missing size is 0, as proto JSON omits zeros), or null for an unknown rank.</summary>
        private long[]? Shape(JsonElement v, string where)
        {
            if (v.ValueKind != JsonValueKind.Object) throw Error($"{where} is a shape written as {v.ValueKind}, not an object.");
            if (v.TryGetProperty("unknownRank", out var unknown) && unknown.ValueKind == JsonValueKind.True) return null;
            if (!v.TryGetProperty("dim", out var dims)) return [];
            if (dims.ValueKind != JsonValueKind.Array) throw Error($"{where}: its shape's 'dim' is {dims.ValueKind}, not an array.");
            if (dims.GetArrayLength() > 8) throw Error($"{where} has {dims.GetArrayLength()} dimensions; at most 8 are read.");
            return dims.EnumerateArray().Select(d =>
            {
                if (d.ValueKind != JsonValueKind.Object) throw Error($"{where}: a dimension is {d.GetRawText()}, not an object with a size.");
                long size = d.TryGetProperty("size", out var s) ? Integer(s, where) : 0;
                return size >= -1 && size <= int.MaxValue ? size : throw Error($"{where} has a dimension of size {size}; sizes are -1 (unknown) or 0 to {int.MaxValue}.");
            }).ToArray();
        }

        /// <summary>
        /// No node depends on itself, and the depth-first walk the plan makes (nodes in file order, inputs in order) never
        /// goes deeper than <see cref="MaxDepth"/>; done iteratively, so that the check itself cannot exhaust the stack.
        /// </summary>
        private void CheckOrder(List<RawNode> computed, Dictionary<string, RawNode> byName)
        {
            var done = new HashSet<string>(StringComparer.Ordinal);
            var onPath = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<(RawNode Node, int Next)>();
            foreach (var start in computed)
            {
                if (done.Contains(start.Name)) continue;
                stack.Push((start, 0));
                onPath.Add(start.Name);
                while (stack.Count > 0)
                {
                    var (node, next) = stack.Pop();
                    if (next < node.Inputs.Length)
                    {
                        stack.Push((node, next + 1));
                        var producer = byName[ValueRef.Parse(node.Inputs[next]).Name];
                        if (producer.Op is "Const" or "Placeholder" || done.Contains(producer.Name)) continue;
                        if (!onPath.Add(producer.Name))
                        {
                            var cycle = stack.Select(s => s.Node.Name).Reverse().SkipWhile(n => n != producer.Name).Append(producer.Name);
                            throw Error($"the graph has a cycle: {string.Join(" -> ", cycle)}. A node cannot depend on its own output; the file is damaged.");
                        }
                        if (stack.Count >= MaxDepth)
                            throw Error($"node '{start.Name}' depends on a chain of more than {MaxDepth} nodes; Shikaku runs graphs up to that depth.");
                        stack.Push((producer, 0));
                        continue;
                    }
                    onPath.Remove(node.Name);
                    done.Add(node.Name);
                }
            }
        }

        private List<TfjsGraphInput> ReadInputs(List<RawNode> nodes, JsonElement signature)
        {
            var inputs = new List<TfjsGraphInput>();
            foreach (var n in nodes.Where(n => n.Op == "Placeholder"))
            {
                string dtype = n.Attributes.TryGetValue("dtype", out var t) && t.Value is string s ? s : throw Error($"Placeholder '{n.Name}' has no dtype.");
                var type = DTypeOf(dtype) ?? throw Error($"Placeholder '{n.Name}' has dtype {dtype}; Shikaku feeds float, integer and bool inputs only.");
                long[]? shape = n.Attributes.TryGetValue("shape", out var sh) && sh.Value is long[] dims ? dims : null;
                if (shape == null && signature.ValueKind == JsonValueKind.Object && SignatureEntry(signature, "inputs", n.Name) is { } entry
                    && entry.TryGetProperty("tensorShape", out var ts))
                    shape = Shape(ts, $"signature input '{n.Name}'");
                if (shape == null) throw Error($"Placeholder '{n.Name}' has no shape (or one of unknown rank); Shikaku needs each input's rank.");
                long known = 1;
                foreach (long d in shape.Where(d => d > 0))
                    if ((known *= d) > Array.MaxLength) throw Error($"Placeholder '{n.Name}' has shape ({string.Join(", ", shape)}), more values than a tensor can hold.");
                inputs.Add(new TfjsGraphInput(n.Name, shape.Select(d => (int)d).ToArray(), type));
            }
            if (signature.ValueKind == JsonValueKind.Object && signature.TryGetProperty("inputs", out var sigInputs) && sigInputs.ValueKind == JsonValueKind.Object)
            {
                // The signature's order, where it names the Placeholders ("input_1:0" is Placeholder "input_1").
                var order = sigInputs.EnumerateObject().Select(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String
                    ? ValueRef.Parse(nm.GetString() is { Length: > 0 } x ? x : p.Name).Name : p.Name).ToList();
                inputs = inputs.OrderBy(i => order.IndexOf(i.Name) is int k && k >= 0 ? k : int.MaxValue).ToList(); // stable
            }
            return inputs;
        }

        private static JsonElement? SignatureEntry(JsonElement signature, string section, string placeholder)
        {
            if (!signature.TryGetProperty(section, out var s) || s.ValueKind != JsonValueKind.Object) return null;
            foreach (var p in s.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String
                    && nm.GetString() is { Length: > 0 } name && ValueRef.Parse(name).Name == placeholder)
                    return p.Value;
            return null;
        }

        private List<TfjsGraphOutput> ReadOutputs(List<RawNode> nodes, Dictionary<string, RawNode> byName, JsonElement signature)
        {
            var outputs = new List<TfjsGraphOutput>();
            if (signature.ValueKind == JsonValueKind.Object && signature.TryGetProperty("outputs", out var sigOutputs))
            {
                if (sigOutputs.ValueKind != JsonValueKind.Object) throw Error($"the signature's outputs are {sigOutputs.ValueKind}, not an object.");
                foreach (var p in sigOutputs.EnumerateObject())
                {
                    string value = p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String
                        && nm.GetString() is { Length: > 0 } s ? s : throw Error($"signature output '{p.Name}' has no name saying which value it is.");
                    var r = ValueRef.Parse(value);
                    if (r.IsControl || !byName.ContainsKey(r.Name))
                        throw Error($"signature output '{p.Name}' is '{value}', which names no node of the graph.");
                    outputs.Add(new TfjsGraphOutput(p.Name, r.ToString()));
                }
            }
            if (outputs.Count > 0) return outputs;
            // No signature: as TF.js, the nodes that no node reads (a control input counts as a read), in file order.
            var read = nodes.SelectMany(n => n.Inputs).Select(i => ValueRef.Parse(i).Name).ToHashSet(StringComparer.Ordinal);
            outputs.AddRange(nodes.Where(n => !read.Contains(n.Name)).Select(n => new TfjsGraphOutput(n.Name, n.Name)));
            if (outputs.Count == 0) throw Error("every node is read by another and no signature names the outputs, so the graph has none.");
            return outputs;
        }

        /// <summary>A Const's weight must have the dtype its node says, and the shape its value's tensorShape says.</summary>
        private void CheckConstant(RawNode c, Tensor tensor)
        {
            string dtype = c.Attributes.TryGetValue("dtype", out var t) && t.Value is string s ? s : throw Error($"Const node '{c.Name}' has no dtype.");
            var type = DTypeOf(dtype) ?? throw Error($"Const node '{c.Name}' has dtype {dtype}; Shikaku reads float, integer and bool constants.");
            if (type != tensor.DType)
                throw Error($"Const node '{c.Name}' is {dtype}, but its weight in the manifest is {tensor.DType.Name()}; the manifest was edited or belongs to another model.");
            if (c.Attr.ValueKind == JsonValueKind.Object && c.Attr.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Object
                && value.TryGetProperty("tensor", out var proto) && proto.ValueKind == JsonValueKind.Object && proto.TryGetProperty("tensorShape", out var ts)
                && Shape(ts, $"Const node '{c.Name}' value") is { } dims && dims.All(d => d >= 0) && !dims.Select(d => (int)d).SequenceEqual(tensor.Shape.ToArray()))
                throw Error($"Const node '{c.Name}' has shape ({string.Join(", ", dims)}), but its weight in the manifest has shape {tensor.Shape}; the manifest was edited or belongs to another model.");
        }
    }
}
