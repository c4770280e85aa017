using Shikaku.Tensors;

namespace Shikaku.Graph;

/// <summary>Called with every node's outputs right after the node ran, before any is freed. Copy a tensor to keep it.</summary>
public delegate void GraphObserver(Node node, int outputIndex, Tensor value);

/// <summary>
/// A compiled graph: nodes in a valid order, each with its kernel and its value slots resolved, and for each node
/// the intermediates to free once it has run (their last reader). A plan keeps no state of a run, so one plan may run
/// from many threads at once. Constants and the caller's inputs are never freed; the outputs belong to the caller.
/// </summary>
/// <example><code>
/// var plan = GraphPlan.Compile(graph);
/// var outputs = plan.Run(x);                                   // caller disposes outputs
/// plan.Run([x], (node, i, t) => Console.WriteLine($"{node.Name}:{i} {t.Shape}"));
/// </code></example>
public sealed class GraphPlan
{
    private sealed record Step(Node Node, IOpKernel Kernel, int[] Inputs, int[] Outputs, bool[] Reusable, int[] Release);

    private readonly Step[] _steps;
    private readonly Tensor?[] _template;   // constants in their slots
    private readonly int[] _inputSlots, _outputSlots;
    private readonly GraphInput[] _inputs;

    private GraphPlan(Step[] steps, Tensor?[] template, int[] inputSlots, int[] outputSlots, GraphInput[] inputs) =>
        (_steps, _template, _inputSlots, _outputSlots, _inputs) = (steps, template, inputSlots, outputSlots, inputs);

    /// <summary>The nodes in the order they run.</summary>
    public IEnumerable<Node> Nodes => _steps.Select(s => s.Node);

    /// <summary>Validates and compiles <paramref name="graph"/> with the ops of <paramref name="registry"/> (default: <see cref="OpRegistry.Default"/>).</summary>
    public static GraphPlan Compile(ComputeGraph graph, OpRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        registry ??= OpRegistry.Default;
        var slotOf = new Dictionary<(string, int), int>();
        var nodesByName = new Dictionary<string, Node>(StringComparer.Ordinal);
        var kinds = new List<char>(); // 'i' input, 'c' constant, 'n' node output
        int NewSlot(string name, int index, char kind)
        {
            slotOf[(name, index)] = kinds.Count;
            kinds.Add(kind);
            return kinds.Count - 1;
        }
        var inputSlots = new int[graph.Inputs.Count];
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            if (slotOf.ContainsKey((graph.Inputs[i].Name, 0))) throw new GraphException($"Two graph inputs are named '{graph.Inputs[i].Name}'.");
            inputSlots[i] = NewSlot(graph.Inputs[i].Name, 0, 'i');
        }
        foreach (var name in graph.Constants.Keys)
        {
            if (slotOf.ContainsKey((name, 0))) throw new GraphException($"'{name}' is both a graph input and a constant; rename one.");
            NewSlot(name, 0, 'c');
        }
        var defs = new Dictionary<string, OpDefinition>(StringComparer.Ordinal);
        var outputCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (slotOf.ContainsKey((node.Name, 0)) || !nodesByName.TryAdd(node.Name, node))
                throw new GraphException($"Two nodes, inputs or constants are named '{node.Name}'; every name must be unique.");
            var def = registry.Find(node.Op) ?? throw new GraphException(
                $"Node '{node.Name}' uses op '{node.Op}', which is not registered. Register a kernel for it (OpRegistry.Register) or use one of: {string.Join(", ", registry.Names)}.");
            defs[node.Name] = def;
            int count;
            try { count = def.OutputCount(node); }
            catch (GraphException e) { throw Named(node, e); }
            outputCounts[node.Name] = count;
            for (int o = 0; o < count; o++) NewSlot(node.Name, o, 'n');
        }
        var order = TopologicalOrder(graph, nodesByName, slotOf);

        int[] Resolve(Node node, string text, string what)
        {
            var r = ValueRef.Parse(text);
            if (slotOf.TryGetValue((r.Name, r.Index), out int slot)) return [slot];
            if (nodesByName.ContainsKey(r.Name) || slotOf.ContainsKey((r.Name, 0)))
                throw new GraphException($"{what} '{text}' asks for output {r.Index} of '{r.Name}', which has fewer outputs.");
            throw new GraphException($"{what} '{text}' names no node, input or constant of the graph.");
        }

        var outputSlots = graph.Outputs.Select(o => Resolve(null!, o, "Graph output")[0]).ToArray();
        if (outputSlots.Length == 0) throw new GraphException("The graph has no outputs; add at least one to Outputs.");
        var pinned = new bool[kinds.Count];
        foreach (int s in outputSlots) pinned[s] = true;
        for (int s = 0; s < kinds.Count; s++) if (kinds[s] != 'n') pinned[s] = true;

        // Value inputs per step, the last step reading each slot, and which values share memory with another (views).
        var stepInputs = order.Select(n => n.Inputs.Where(t => !ValueRef.Parse(t).IsControl)
            .Select((t, i) => Resolve(n, t, $"Node '{n.Name}' input {i}")[0]).ToArray()).ToArray();
        var lastReader = Enumerable.Repeat(-1, kinds.Count).ToArray();
        var shared = new bool[kinds.Count];
        for (int k = 0; k < order.Count; k++)
        {
            var def = defs[order[k].Name];
            foreach (int s in stepInputs[k])
            {
                lastReader[s] = k;
                if (def.AliasesInput) shared[s] = true;
            }
            if (def.AliasesInput) shared[slotOf[(order[k].Name, 0)]] = true;
        }
        var template = new Tensor?[kinds.Count];
        foreach (var (name, t) in graph.Constants) template[slotOf[(name, 0)]] = t;
        var steps = new Step[order.Count];
        for (int k = 0; k < order.Count; k++)
        {
            var node = order[k];
            var def = defs[node.Name];
            var ins = stepInputs[k];
            var outs = Enumerable.Range(0, outputCounts[node.Name]).Select(o => slotOf[(node.Name, o)]).ToArray();
            var reusable = ins.Select(s => !pinned[s] && !shared[s] && lastReader[s] == k && ins.Count(x => x == s) == 1).ToArray();
            var release = ins.Distinct().Where(s => !pinned[s] && lastReader[s] == k)
                .Concat(outs.Where(s => !pinned[s] && lastReader[s] < 0)).ToArray();
            IOpKernel kernel;
            try
            {
                kernel = def.Compile(new CompileContext(node, i => i < ins.Length ? template[ins[i]] : null));
            }
            catch (Exception e) when (e is GraphException or ArgumentException or FormatException or NotSupportedException)
            {
                throw Named(node, e);
            }
            steps[k] = new Step(node, kernel, ins, outs, reusable, release);
        }
        return new GraphPlan(steps, template, inputSlots, outputSlots, graph.Inputs.ToArray());
    }

    // Depth-first, visiting nodes in the given order: a graph already in order runs as given. A cycle is named.
    private static List<Node> TopologicalOrder(ComputeGraph graph, Dictionary<string, Node> nodes, Dictionary<(string, int), int> slotOf)
    {
        var order = new List<Node>(graph.Nodes.Count);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var path = new List<string>();
        void Visit(Node node)
        {
            if (state.TryGetValue(node.Name, out int s))
            {
                if (s == 2) return;
                int from = path.IndexOf(node.Name);
                throw new GraphException($"The graph has a cycle: {string.Join(" -> ", path.Skip(from).Append(node.Name))}. A node cannot depend on its own output.");
            }
            state[node.Name] = 1;
            path.Add(node.Name);
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var r = ValueRef.Parse(node.Inputs[i]);
                if (nodes.TryGetValue(r.Name, out var producer)) Visit(producer);
                else if (!slotOf.ContainsKey((r.Name, 0)))
                    throw new GraphException($"Node '{node.Name}' input {i} ({node.Inputs[i]}): '{r.Name}' names no node, input or constant of the graph.");
            }
            path.RemoveAt(path.Count - 1);
            state[node.Name] = 2;
            order.Add(node);
        }
        foreach (var node in graph.Nodes) Visit(node);
        return order;
    }

    /// <summary>Runs the plan on the inputs in graph order; returns the outputs (the caller disposes them).</summary>
    public Tensor[] Run(params Tensor[] inputs) => Run(inputs, null);

    /// <summary>As <see cref="Run(Tensor[])"/>, calling <paramref name="observer"/> with every node's outputs (the trace hook).</summary>
    public Tensor[] Run(Tensor[] inputs, GraphObserver? observer)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != _inputs.Length)
            throw new GraphException($"The graph takes {_inputs.Length} input(s) ({string.Join(", ", _inputs.Select(i => i.Name))}), got {inputs.Length}.");
        var values = (Tensor?[])_template.Clone();
        for (int i = 0; i < inputs.Length; i++)
        {
            CheckFeed(_inputs[i], inputs[i]);
            values[_inputSlots[i]] = inputs[i];
        }
        try
        {
            foreach (var step in _steps)
            {
                var context = new KernelContext(values, step.Inputs, step.Outputs, step.Reusable);
                try
                {
                    step.Kernel.Run(ref context);
                }
                catch (Exception e) when (e is GraphException or ArgumentException or NotSupportedException or OverflowException
                    || e is InvalidOperationException and not ObjectDisposedException)
                {
                    // Shapes and dtypes meet only at run time: a kernel's complaint names the node it came from.
                    throw Named(step.Node, e);
                }
                if (observer != null)
                    for (int o = 0; o < step.Outputs.Length; o++)
                        if (values[step.Outputs[o]] is { } t) observer(step.Node, o, t);
                foreach (int s in step.Release)
                {
                    values[s]?.Dispose();
                    values[s] = null;
                }
            }
            var result = new Tensor[_outputSlots.Length];
            for (int i = 0; i < result.Length; i++)
            {
                var t = values[_outputSlots[i]] ?? throw new GraphException($"Graph output {i} was not produced.");
                // A graph input, constant or repeated output is handed out as a view: the caller may dispose every output.
                bool view = _template[_outputSlots[i]] != null || Array.IndexOf(_inputSlots, _outputSlots[i]) >= 0 || Array.IndexOf(_outputSlots, _outputSlots[i]) < i;
                result[i] = view ? t.Reshape(t.Shape.ToArray()) : t;
            }
            return result;
        }
        catch
        {
            var keep = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            foreach (var t in _template) if (t != null) keep.Add(t);
            foreach (var t in inputs) keep.Add(t);
            foreach (var t in values) if (t != null && keep.Add(t)) t.Dispose();
            throw;
        }
    }

    /// <summary>The error with the node's name in front, unless it already starts with it.</summary>
    private static GraphException Named(Node node, Exception e) =>
        e is GraphException g && g.Message.StartsWith($"Node '{node.Name}'", StringComparison.Ordinal)
            ? g
            : new GraphException($"Node '{node.Name}' ({node.Op}): {e.Message}", e);

    private static void CheckFeed(GraphInput input, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t, input.Name);
        bool ok = t.Rank == input.Shape.Length;
        for (int d = 0; ok && d < t.Rank; d++) ok = input.Shape[d] < 0 || input.Shape[d] == t.Shape[d];
        if (!ok)
            throw new GraphException($"Input '{input.Name}' must have shape ({string.Join(", ", input.Shape.Select(d => d < 0 ? "any" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}), got {t.Shape}.");
    }
}
