using Shikaku.Tensors;

namespace Shikaku.Graph;

/// <summary>An error in a graph: an unknown op, a missing input, a cycle, a bad attribute or feed. The message names the node.</summary>
public sealed class GraphException(string message, Exception? inner = null) : ShikakuException(message, inner);

/// <summary>A graph input: its name and shape (-1 for a dimension of any size, e.g. the batch).</summary>
public sealed record GraphInput(string Name, int[] Shape);

/// <summary>
/// One operation: a unique name, a TensorFlow op name ("Conv2D", "_FusedConv2D", "MaxPool"; Shikaku's own ops
/// start with "Shikaku."), input value references as TF writes them ("conv", "split:1", "^control") and attributes.
/// </summary>
/// <example><code>new Node("conv1", "Conv2D", ["x", "w"], new() { ["strides"] = AttrValue.Ints(1, 2, 2, 1), ["padding"] = "SAME" })</code></example>
public sealed record Node(string Name, string Op, IReadOnlyList<string> Inputs, Attributes Attributes)
{
    /// <summary>A node without attributes.</summary>
    public Node(string name, string op, IReadOnlyList<string> inputs) : this(name, op, inputs, new Attributes()) { }
}

/// <summary>A reference to a value: output <see cref="Index"/> of node (or input, or constant) <see cref="Name"/>.</summary>
public readonly record struct ValueRef(string Name, int Index, bool IsControl)
{
    /// <summary>Parses "name", "name:1" and "^name" (a control dependency: order only, no value).</summary>
    public static ValueRef Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text[0] == '^') return new ValueRef(text[1..], 0, true);
        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
            return new ValueRef(text[..colon], index, false);
        return new ValueRef(text, 0, false);
    }

    /// <inheritdoc/>
    public override string ToString() => IsControl ? "^" + Name : Index == 0 ? Name : $"{Name}:{Index}";
}

/// <summary>
/// An inference graph: inputs with shapes, constants (weights), nodes and outputs. Compile it with
/// <see cref="GraphPlan.Compile"/>; optimise it first with <see cref="GraphPasses.Optimize"/>.
/// Constants added with <c>owned: true</c> are disposed with the graph.
/// </summary>
/// <example><code>
/// using var g = new ComputeGraph();
/// g.AddInput("x", -1, 28, 28, 1);
/// g.AddConstant("w", kernel, owned: false);
/// g.AddNode(new Node("conv", "Conv2D", ["x", "w"], new() { ["padding"] = "SAME" }));
/// g.Outputs.Add("conv");
/// var plan = GraphPlan.Compile(g);
/// </code></example>
public sealed class ComputeGraph : IDisposable
{
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _owned = new(StringComparer.Ordinal);

    /// <summary>The inputs, in the order <see cref="GraphPlan.Run(Tensor[])"/> takes them.</summary>
    public List<GraphInput> Inputs { get; } = [];
    /// <summary>The nodes (any order that respects their inputs is run as given).</summary>
    public List<Node> Nodes { get; } = [];
    /// <summary>Value references the plan returns, in order.</summary>
    public List<string> Outputs { get; } = [];
    /// <summary>Constants by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Constants => _constants;

    /// <summary>Adds an input of <paramref name="shape"/> (-1: any size).</summary>
    public void AddInput(string name, params int[] shape) => Inputs.Add(new GraphInput(name, shape));

    /// <summary>Adds a node and returns its name (the reference to its first output).</summary>
    public string AddNode(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Nodes.Add(node);
        return node.Name;
    }

    /// <summary>Adds a constant; <paramref name="owned"/>: the graph disposes it.</summary>
    public string AddConstant(string name, Tensor value, bool owned)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!_constants.TryAdd(name, value)) throw new GraphException($"The graph already has a constant named '{name}'; give each constant its own name.");
        if (owned) _owned.Add(name);
        return name;
    }

    /// <summary>Removes a constant (disposing it when the graph owns it).</summary>
    public void RemoveConstant(string name)
    {
        if (_constants.Remove(name, out var t) && _owned.Remove(name)) t.Dispose();
    }

    /// <summary>A copy of the structure that shares (and does not own) the constants: for comparing a graph with its optimised form.</summary>
    public ComputeGraph Clone()
    {
        var g = new ComputeGraph();
        g.Inputs.AddRange(Inputs);
        g.Nodes.AddRange(Nodes);
        g.Outputs.AddRange(Outputs);
        foreach (var (name, t) in _constants) g.AddConstant(name, t, owned: false);
        return g;
    }

    /// <summary>A name not yet used by a node, input or constant, from <paramref name="stem"/>.</summary>
    public string UniqueName(string stem)
    {
        var used = new HashSet<string>(Nodes.Select(n => n.Name).Concat(Inputs.Select(i => i.Name)).Concat(_constants.Keys), StringComparer.Ordinal);
        if (!used.Contains(stem)) return stem;
        for (int i = 1; ; i++) if (!used.Contains($"{stem}_{i}")) return $"{stem}_{i}";
    }

    /// <summary>Disposes the constants the graph owns.</summary>
    public void Dispose()
    {
        foreach (var name in _owned) _constants[name].Dispose();
        _owned.Clear();
        _constants.Clear();
    }
}
