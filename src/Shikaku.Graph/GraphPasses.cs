using Shikaku.Graph.Ops;
using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph;

/// <summary>
/// Rewrites of a graph for faster inference, each keeping the outputs: a fused node takes the name of the last node
/// it replaces, so the nodes after it need no rewiring. <see cref="Optimize"/> runs them all in order.
/// </summary>
/// <example><code>GraphPasses.Optimize(graph); var plan = GraphPlan.Compile(graph);</code></example>
public static class GraphPasses
{
    /// <summary>Bias fusion, batch-norm and scale folding, hard-swish and activation fusion, residual sum + activation, convolution + max pooling fusion.</summary>
    public static void Optimize(ComputeGraph graph, bool foldBatchNorm = true)
    {
        ArgumentNullException.ThrowIfNull(graph);
        FuseBias(graph);
        if (foldBatchNorm)
        {
            FoldBatchNorm(graph);
            FuseBias(graph);
        }
        FuseHardSwish(graph);
        FuseActivation(graph);
        FuseAddActivation(graph);
        FuseConvMaxPool(graph);
    }

    private static readonly string[] Convs = ["Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"];

    // Channel-last convolutions only: the folds below add and scale along the last axis.
    private static bool IsConv(Node n) => Convs.Contains(n.Op) && !Ops.OpSupport.IsNchw(n.Attributes);

    /// <summary>The number of output channels of convolution <paramref name="p"/> (from its constant filter), or -1.</summary>
    private static int OutChannels(ComputeGraph g, Node p) => g.Constants.GetValueOrDefault(p.Inputs[1]) switch
    {
        { Rank: 2 } m when p.Op.Contains("MatMul", StringComparison.Ordinal) => p.Attributes.Bool("transpose_b", false) ? m.Shape[0] : m.Shape[1],
        { Rank: 4 } f when !p.Op.Contains("MatMul", StringComparison.Ordinal) => p.Op.Contains("Depthwise", StringComparison.Ordinal) ? f.Shape[2] * f.Shape[3] : f.Shape[3],
        _ => -1,
    };

    /// <summary>
    /// A one-element constant equal to <paramref name="value"/> to float16 precision (converters store 1/6 as the half
    /// 0.166687; the pattern means the 1/6 it was trained with).
    /// </summary>
    private static bool IsConstant(ComputeGraph g, string input, float value) =>
        g.Constants.GetValueOrDefault(input) is { DType: DType.Float32, Length: 1, Rank: <= 1 } t && MathF.Abs(t.Span[0] - value) <= 1e-3f * Math.Max(1f, MathF.Abs(value));
    private static string FusedName(string op) => op is "Conv2D" or "_FusedConv2D" ? "_FusedConv2D" : op is "MatMul" or "_FusedMatMul" ? "_FusedMatMul" : "FusedDepthwiseConv2dNative";
    private static string[] FusedOps(Node n) => n.Attributes.Strings("fused_ops", []);
    private static bool HasBias(Node n) => FusedOps(n).Contains("BiasAdd");
    private static bool HasActivation(Node n) => FusedOps(n).Any(o => o != "BiasAdd");

    /// <summary>How many times each node's outputs are read (by nodes and as graph outputs).</summary>
    private static Dictionary<string, int> Readers(ComputeGraph g)
    {
        var count = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in g.Nodes.SelectMany(n => n.Inputs).Concat(g.Outputs).Concat(g.Outputs))
            count[ValueRef.Parse(r).Name] = count.GetValueOrDefault(ValueRef.Parse(r).Name) + 1;
        return count;
    }

    /// <summary>Runs <paramref name="rewrite"/> on each (producer, consumer) pair where the consumer reads the producer's only reader; a true result replaces both by the returned node.</summary>
    private static void Pairs(ComputeGraph g, Func<Node, Node, Node?> rewrite)
    {
        for (bool changed = true; changed;)
        {
            changed = false;
            var readers = Readers(g);
            var byName = g.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
            for (int i = 0; i < g.Nodes.Count && !changed; i++)
            {
                var consumer = g.Nodes[i];
                if (consumer.Inputs.Count == 0) continue;
                var input = ValueRef.Parse(consumer.Inputs[0]);
                if (input.IsControl || input.Index != 0 || !byName.TryGetValue(input.Name, out var producer) || readers.GetValueOrDefault(producer.Name) != 1) continue;
                if (rewrite(producer, consumer) is not { } fused) continue;
                g.Nodes[i] = fused;
                g.Nodes.Remove(producer);
                changed = true;
            }
        }
        RemoveUnusedConstants(g);
    }

    /// <summary>Conv2D / DepthwiseConv2dNative / MatMul followed by BiasAdd (or Add / AddV2 of a constant vector) -> the _Fused op with BiasAdd.</summary>
    public static void FuseBias(ComputeGraph graph) => Pairs(graph, (p, c) =>
    {
        if (!(IsConv(p) || p.Op is "MatMul" or "_FusedMatMul") || HasBias(p) || HasActivation(p)) return null;
        if (c.Op is not ("BiasAdd" or "Add" or "AddV2") || c.Inputs.Count != 2 || graph.Constants.GetValueOrDefault(c.Inputs[1]) is not { Rank: 1 } bias) return null;
        // A BiasAdd after a MatMul is a bias by definition (its kernel checks the length); an Add is one only when the
        // vector has one value per output column: a single value broadcasts to every column and stays an Add.
        bool matMul = p.Op.Contains("MatMul", StringComparison.Ordinal);
        if ((!matMul || c.Op != "BiasAdd") && bias.Length != OutChannels(graph, p)) return null;
        var a = new Attributes(p.Attributes) { ["fused_ops"] = AttrValue.Strings("BiasAdd") };
        return new Node(c.Name, FusedName(p.Op), [.. p.Inputs, c.Inputs[1]], a);
    });

    /// <summary>
    /// MobileNetV3's hard-swish as TF writes it, x · relu6(x + 3) · (1/6) (the two products in either order, the
    /// constants on either side), -> one <c>Shikaku.HardSwish</c> node, which <see cref="FuseActivation"/> then takes
    /// into the convolution before it, with the 1/6 as the file stores it (a converter's float16 0.166687 stays that). Same
    /// function; the arithmetic differs by rounding.
    /// </summary>
    public static void FuseHardSwish(ComputeGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        for (bool changed = true; changed;)
        {
            changed = false;
            var readers = Readers(graph);
            var byName = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
            Node? Producer(string input) => ValueRef.Parse(input) is { IsControl: false, Index: 0 } r ? byName.GetValueOrDefault(r.Name) : null;
            bool Single(Node n) => readers.GetValueOrDefault(n.Name) == 1;
            // (x, the other input) of a two-input op, when one of its inputs is the constant value.
            string? Other(Node n, float value) => n.Inputs.Count != 2 ? null
                : IsConstant(graph, n.Inputs[1], value) ? n.Inputs[0] : IsConstant(graph, n.Inputs[0], value) ? n.Inputs[1] : null;
            // relu6(x + 3): returns x and the nodes that compute it.
            (string X, Node[] Nodes)? Gate(string input)
            {
                if (Producer(input) is not { Op: "Relu6" } relu || !Single(relu) || Producer(relu.Inputs[0]) is not { Op: "Add" or "AddV2" } add || !Single(add)) return null;
                return Other(add, 3f) is { } x ? (x, [relu, add]) : null;
            }
            foreach (var mul in graph.Nodes.Where(n => n.Op == "Mul" && n.Inputs.Count == 2).ToList())
            {
                // Either (x · 1/6) · gate, or (x · gate) · 1/6; the 1/6 as the file stores it.
                (string X, Node[] Nodes)? match = null;
                float scale = 0f;
                float ScaleOf(Node n) => graph.Constants[IsConstant(graph, n.Inputs[1], 1f / 6) ? n.Inputs[1] : n.Inputs[0]].Span[0];
                for (int side = 0; side < 2 && match == null; side++)
                {
                    string a = mul.Inputs[side], b = mul.Inputs[1 - side];
                    if (Gate(b) is { } gate && Producer(a) is { Op: "Mul" } scaled && Single(scaled) && Other(scaled, 1f / 6) == gate.X)
                        (match, scale) = ((gate.X, [.. gate.Nodes, scaled]), ScaleOf(scaled));
                    else if (IsConstant(graph, b, 1f / 6) && Producer(a) is { Op: "Mul", Inputs.Count: 2 } inner && Single(inner))
                        for (int k = 0; k < 2 && match == null; k++)
                            if (Gate(inner.Inputs[k]) is { } g && g.X == inner.Inputs[1 - k]) (match, scale) = ((g.X, [.. g.Nodes, inner]), graph.Constants[b].Span[0]);
                }
                if (match is not { } m) continue;
                graph.Nodes[graph.Nodes.IndexOf(mul)] = new Node(mul.Name, Ops.ActivationOps.HardSwish, [m.X], new Attributes { ["scale"] = scale });
                foreach (var n in m.Nodes) graph.Nodes.Remove(n);
                changed = true;
                break;
            }
        }
        RemoveUnusedConstants(graph);
    }

    /// <summary>A convolution (or matrix product) with at most a bias, followed by Relu, Relu6, LeakyRelu, Sigmoid or Tanh -> one fused node.</summary>
    public static void FuseActivation(ComputeGraph graph) => Pairs(graph, (p, c) =>
    {
        if (!(IsConv(p) || p.Op is "MatMul" or "_FusedMatMul") || HasActivation(p) || ConvolutionOps.ActivationOf(c.Op, c.Attributes) is not { } act) return null;
        var a = new Attributes(p.Attributes) { ["fused_ops"] = AttrValue.Strings([.. FusedOps(p), c.Op]) };
        if (act.Kind == ActivationKind.LeakyRelu) a["leakyrelu_alpha"] = act.Alpha;
        if (act.Kind == ActivationKind.HardSwish) a["hardswish_scale"] = act.Alpha;
        return new Node(c.Name, FusedName(p.Op), p.Inputs, a);
    });

    /// <summary>
    /// A sum of two computed tensors (a residual connection: Add/AddV2 of two non-constant inputs) followed by an
    /// activation (Relu, Relu6, LeakyRelu, Sigmoid, Tanh, hard-swish, or Prelu with constant slopes) -> one
    /// <c>Shikaku.AddActivation</c> node: one pass over memory instead of two. Same values.
    /// </summary>
    public static void FuseAddActivation(ComputeGraph graph) => Pairs(graph, (p, c) =>
    {
        if (p.Op is not ("Add" or "AddV2") || p.Inputs.Count != 2 || p.Inputs.Any(i => graph.Constants.ContainsKey(i) || ValueRef.Parse(i).IsControl)) return null;
        if (c.Op == "Prelu" && c.Inputs.Count == 2 && graph.Constants.ContainsKey(c.Inputs[1]))
            return new Node(c.Name, Ops.ElementwiseOps.AddActivation, [.. p.Inputs, c.Inputs[1]], new Attributes { ["activation"] = "Prelu" });
        if (c.Inputs.Count != 1 || ConvolutionOps.ActivationOf(c.Op, c.Attributes) is null) return null;
        // The activation's own attributes (LeakyRelu's alpha, hard-swish's scale) come along.
        return new Node(c.Name, Ops.ElementwiseOps.AddActivation, p.Inputs, new Attributes(c.Attributes) { ["activation"] = c.Op });
    });

    /// <summary>
    /// Folds FusedBatchNormV3 (inference), or Mul then AddV2/BiasAdd by per-channel constants (a scale layer), into the
    /// preceding convolution's filter and bias: k' = k * s, b' = (b - mean) * s + offset with s = scale / sqrt(var + eps)
    /// (for a scale layer, s = its weights, b' = b * s + shift). The arithmetic changes: outputs agree to float rounding.
    /// </summary>
    public static void FoldBatchNorm(ComputeGraph graph)
    {
        Pairs(graph, (p, c) =>
        {
            if (!IsConv(p) || HasActivation(p) || c.Op is not ("FusedBatchNormV3" or "FusedBatchNorm") || c.Attributes.Bool("is_training", false)) return null;
            var k = c.Inputs.Skip(1).Select(i => graph.Constants.GetValueOrDefault(i)).ToArray();
            if (k.Length != 4 || k.Any(t => t == null)) return null;
            float[] scale = k[0]!.ToArray(), offset = k[1]!.ToArray(), mean = k[2]!.ToArray(), variance = k[3]!.ToArray();
            float eps = c.Attributes.Float("epsilon", 1e-4f);
            var s = new float[scale.Length];
            var b = new float[scale.Length];
            for (int i = 0; i < s.Length; i++) s[i] = scale[i] / MathF.Sqrt(variance[i] + eps);
            var bias = HasBias(p) ? graph.Constants.GetValueOrDefault(p.Inputs[2]) : null;
            for (int i = 0; i < s.Length; i++) b[i] = bias == null ? offset[i] - mean[i] * s[i] : (bias.Span[i] - mean[i]) * s[i] + offset[i];
            return Folded(graph, p, c.Name, s, b);
        });
        // Mul by a constant vector, then AddV2 / BiasAdd of one: first fold the Mul (the bias is scaled too), then the addition.
        Pairs(graph, (p, c) =>
        {
            if (!IsConv(p) || HasActivation(p) || c.Op != "Mul" || c.Inputs.Count != 2 || graph.Constants.GetValueOrDefault(c.Inputs[1]) is not { Rank: 1 } scale) return null;
            var bias = HasBias(p) ? graph.Constants.GetValueOrDefault(p.Inputs[2]) : null;
            if (HasBias(p) && bias == null) return null;
            var s = scale.ToArray();
            var b = new float[s.Length];
            for (int i = 0; i < s.Length; i++) b[i] = bias == null ? 0f : bias.Span[i] * s[i];
            return Folded(graph, p, c.Name, s, b, keepBias: bias != null);
        });
        // (conv with bias) followed by AddV2/BiasAdd of a constant vector: b' = b + shift.
        Pairs(graph, (p, c) =>
        {
            if (!IsConv(p) || HasActivation(p) || !HasBias(p) || c.Op is not ("AddV2" or "BiasAdd") || c.Inputs.Count != 2
                || graph.Constants.GetValueOrDefault(c.Inputs[1]) is not { Rank: 1 } shift || graph.Constants.GetValueOrDefault(p.Inputs[2]) is not { } bias) return null;
            var b = new float[shift.Length];
            for (int i = 0; i < b.Length; i++) b[i] = bias.Span[i] + shift.Span[i];
            string name = graph.UniqueName(c.Name + "/folded_bias");
            graph.AddConstant(name, Tensor.FromArray(b, b.Length), owned: true);
            return new Node(c.Name, p.Op, [p.Inputs[0], p.Inputs[1], name], p.Attributes);
        });
    }

    // The convolution p with its filter scaled per output channel and the bias b, named after the node it absorbs.
    private static Node? Folded(ComputeGraph graph, Node p, string name, float[] s, float[] b, bool keepBias = true)
    {
        if (graph.Constants.GetValueOrDefault(p.Inputs[1]) is not { Rank: 4 } filter) return null;
        int cout = p.Op.Contains("Depthwise", StringComparison.Ordinal) ? filter.Shape[2] * filter.Shape[3] : filter.Shape[3];
        if (cout != s.Length) return null;
        var k = filter.Clone();
        var ks = k.Span;
        for (int i = 0; i < ks.Length; i++) ks[i] *= s[i % cout];
        string kn = graph.UniqueName(name + "/folded_filter"), bn = graph.UniqueName(name + "/folded_bias");
        graph.AddConstant(kn, k, owned: true);
        if (!keepBias && b.All(v => v == 0)) return new Node(name, p.Op, [p.Inputs[0], kn], p.Attributes);
        graph.AddConstant(bn, Tensor.FromArray(b, b.Length), owned: true);
        return new Node(name, FusedName(p.Op), [p.Inputs[0], kn, bn], new Attributes(p.Attributes) { ["fused_ops"] = AttrValue.Strings("BiasAdd") });
    }

    /// <summary>
    /// A convolution (with a bias) followed by 2x2 max pooling (stride 2, valid) -> <c>Shikaku.Conv2DMaxPool2x2</c>; two such
    /// convolutions and the pooling -> <c>Shikaku.Conv2DConv2DMaxPool2x2</c> (image by image). Same values.
    /// </summary>
    public static void FuseConvMaxPool(ComputeGraph graph)
    {
        static bool Pool2x2(Node n) => n.Op == "MaxPool" && n.Inputs.Count == 1 && n.Attributes.Ints("ksize", []).SequenceEqual([1L, 2, 2, 1])
            && n.Attributes.Ints("strides", []).SequenceEqual([1L, 2, 2, 1]) && n.Attributes.String("padding", "VALID") == "VALID";
        static bool Conv(Node n) => n.Op == "_FusedConv2D" && HasBias(n) && n.Inputs.Count == 3;
        // Conv + conv + pool first: the pair (conv, fused conv-pool) is matched once the pool has taken the second conv.
        Pairs(graph, (p, c) => Conv(p) && Pool2x2(c) ? new Node(c.Name, ConvolutionOps.ConvMaxPool, p.Inputs, p.Attributes) : null);
        Pairs(graph, (p, c) =>
        {
            if (!Conv(p) || c.Op != ConvolutionOps.ConvMaxPool) return null;
            var a = new Attributes();
            foreach (var (k, v) in p.Attributes) a["a_" + k] = v;
            foreach (var (k, v) in c.Attributes) a["b_" + k] = v;
            return new Node(c.Name, ConvolutionOps.ConvConvMaxPool, [.. p.Inputs, c.Inputs[1], c.Inputs[2]], a);
        });
    }

    private static void RemoveUnusedConstants(ComputeGraph g)
    {
        var used = new HashSet<string>(g.Nodes.SelectMany(n => n.Inputs).Concat(g.Outputs).Select(r => ValueRef.Parse(r).Name), StringComparer.Ordinal);
        foreach (var name in g.Constants.Keys.Where(k => !used.Contains(k)).ToList()) g.RemoveConstant(name);
    }
}
