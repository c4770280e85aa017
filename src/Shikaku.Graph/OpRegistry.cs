using Shikaku.Tensors;

namespace Shikaku.Graph;

/// <summary>A node compiled once (attributes parsed, constants resolved); <see cref="Run"/> must keep no per-call state.</summary>
public interface IOpKernel
{
    /// <summary>Reads the inputs and sets every output of one run.</summary>
    void Run(ref KernelContext context);
}

/// <summary>What a kernel factory sees at compile time: the node, its attributes and which inputs are constants.</summary>
public sealed class CompileContext(Node node, Func<int, Tensor?> constant)
{
    /// <summary>The node being compiled.</summary>
    public Node Node { get; } = node;
    /// <summary>Its attributes.</summary>
    public Attributes Attributes => Node.Attributes;
    /// <summary>The value of input <paramref name="index"/> when it is a constant, else null.</summary>
    public Tensor? Constant(int index) => constant(index);
    /// <summary>The constant input <paramref name="index"/>, or an error naming the node.</summary>
    public Tensor RequireConstant(int index) => Constant(index)
        ?? throw new GraphException($"Node '{Node.Name}' ({Node.Op}) needs input {index} to be a constant.");
    /// <summary>A <see cref="GraphException"/> naming the node.</summary>
    public GraphException Error(string message) => new($"Node '{Node.Name}' ({Node.Op}): {message}");
}

/// <summary>How an op is compiled: its kernel factory, its number of outputs, whether its output is a view of input 0.</summary>
public sealed record OpDefinition(string Name, Func<CompileContext, IOpKernel> Compile, int Outputs = 1, bool AliasesInput = false)
{
    /// <summary>
    /// For ops whose number of outputs is an attribute of the node (Split's num_split, Unpack's num): that number for
    /// a node, used instead of <see cref="Outputs"/>; it throws a <see cref="GraphException"/> for a bad attribute.
    /// </summary>
    public Func<Node, int>? OutputsOf { get; init; }

    /// <summary>The number of outputs of <paramref name="node"/>.</summary>
    public int OutputCount(Node node) => OutputsOf?.Invoke(node) ?? Outputs;
}

/// <summary>
/// Op name -> kernel factory. <see cref="Default"/> holds every op Shikaku's kernels implement; a copy
/// (<c>new OpRegistry(OpRegistry.Default)</c>) can take more. Ops register from small classes, one per family.
/// </summary>
/// <example><code>var ops = new OpRegistry(OpRegistry.Default); ops.Register(new OpDefinition("MyOp", c => new MyKernel(c)));</code></example>
public sealed class OpRegistry
{
    private readonly Dictionary<string, OpDefinition> _ops = new(StringComparer.Ordinal);

    /// <summary>An empty registry.</summary>
    public OpRegistry() { }

    /// <summary>A copy of <paramref name="other"/>.</summary>
    public OpRegistry(OpRegistry other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (k, v) in other._ops) _ops[k] = v;
    }

    /// <summary>The built-in ops (read-only use; copy it to add ops).</summary>
    public static OpRegistry Default { get; } = CreateDefault();

    private static OpRegistry CreateDefault()
    {
        var r = new OpRegistry();
        Action<OpRegistry>[] families =
        [
            Ops.ConvolutionOps.Register, Ops.PoolingOps.Register, Ops.MatMulOps.Register, Ops.ActivationOps.Register,
            Ops.ElementwiseOps.Register, Ops.NormalizationOps.Register, Ops.ShapeOps.Register, Ops.UnaryOps.Register,
            Ops.ReductionOps.Register, Ops.JoinSplitOps.Register, Ops.SliceOps.Register, Ops.FillOps.Register,
            Ops.ResizeOps.Register,
        ];
        foreach (var register in families) register(r);
        return r;
    }

    /// <summary>Adds (or replaces) an op.</summary>
    public void Register(OpDefinition op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (ReferenceEquals(this, Default) && _ops.ContainsKey(op.Name)) throw new InvalidOperationException("Copy OpRegistry.Default before replacing its ops.");
        _ops[op.Name] = op;
    }

    /// <summary>The definition of <paramref name="name"/>, if registered.</summary>
    public OpDefinition? Find(string name) => _ops.GetValueOrDefault(name);

    /// <summary>Every registered op name, sorted.</summary>
    public IEnumerable<string> Names => _ops.Keys.Order(StringComparer.Ordinal);
}

/// <summary>A kernel's view of one run: its inputs and outputs as slots of the run's value table (no lookups by name).</summary>
public ref struct KernelContext
{
    private readonly Tensor?[] _values;
    private readonly int[] _inputs, _outputs;
    private readonly bool[] _reusable;

    internal KernelContext(Tensor?[] values, int[] inputs, int[] outputs, bool[] reusable)
    {
        (_values, _inputs, _outputs, _reusable) = (values, inputs, outputs, reusable);
    }

    /// <summary>Number of value inputs.</summary>
    public readonly int InputCount => _inputs.Length;

    /// <summary>Input <paramref name="index"/>.</summary>
    public readonly Tensor Input(int index) => _values[_inputs[index]]!;

    /// <summary>Input <paramref name="index"/> when it may be overwritten (this node is its last reader and nothing else shares its memory), else null. The kernel then owns it.</summary>
    public readonly Tensor? TakeInput(int index)
    {
        if (!_reusable[index]) return null;
        var t = _values[_inputs[index]];
        _values[_inputs[index]] = null;
        return t;
    }

    /// <summary>Sets output <paramref name="index"/> (the plan owns it from now on).</summary>
    public readonly void SetOutput(int index, Tensor value) => _values[_outputs[index]] = value;
}
