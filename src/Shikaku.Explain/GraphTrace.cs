using Shikaku.Graph;
using Shikaku.Tensors;

namespace Shikaku.Explain;

/// <summary>
/// One node's output of an imported graph, as the explainer shows it. Maps (rank 4, [1, H, W, C] float32) come as a
/// preview: at most <see cref="GraphTrace.MaxChannels"/> channels, every <paramref name="Step"/>-th row and column so
/// that the longer side is at most <see cref="GraphTrace.MaxSide"/>; vectors as their first
/// <see cref="GraphTrace.MaxValues"/> values. <paramref name="Shape"/> is the whole output's, <paramref name="Preview"/>
/// the shape of <paramref name="Values"/> (H, W, C for maps, or N).
/// </summary>
public sealed record GraphNodeMaps(string Name, string Op, int[] Shape, int[] Preview, int Step, float[] Values);

/// <summary>An imported graph's outputs for one input, node by node, through the runtime's trace hook.</summary>
public static class GraphTrace
{
    public const int MaxChannels = 16;
    public const int MaxSide = 64;
    public const int MaxValues = 256;

    /// <summary>The most nodes handed out (human-models' largest graph has 544); later ones are left out.</summary>
    public const int MaxNodes = 200;

    /// <summary>
    /// Runs <paramref name="plan"/> on <paramref name="inputs"/> and previews the float32 node outputs in execution
    /// order: the first <see cref="MaxNodes"/>, and always the last (the graph's output), with how many there were.
    /// </summary>
    public static (IReadOnlyList<GraphNodeMaps> Nodes, int Total) Run(GraphPlan plan, Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var nodes = new List<GraphNodeMaps>();
        GraphNodeMaps? last = null;
        int total = 0;
        var results = plan.Run(inputs, (node, index, value) =>
        {
            if (index != 0 || value.DType != DType.Float32 || value.Shape.Length == 0) return;
            total++;
            if (nodes.Count < MaxNodes) nodes.Add(Preview(node, value));
            else last = Preview(node, value);
        });
        foreach (var r in results) r.Dispose();
        if (last != null) nodes.Add(last);
        return (nodes, total);
    }

    private static GraphNodeMaps Preview(Node node, Tensor value)
    {
        var shape = value.Shape.ToArray();
        var span = value.Span;
        if (shape is [1, var h, var w, var c] && h > 1 && w > 1)
        {
            int step = Math.Max(1, (Math.Max(h, w) + MaxSide - 1) / MaxSide);
            int ph = (h + step - 1) / step, pw = (w + step - 1) / step, pc = Math.Min(c, MaxChannels);
            var values = new float[ph * pw * pc];
            for (int y = 0; y < ph; y++)
                for (int x = 0; x < pw; x++)
                    for (int k = 0; k < pc; k++)
                        values[(y * pw + x) * pc + k] = span[((y * step) * w + x * step) * c + k];
            return new GraphNodeMaps(node.Name, node.Op, shape, [ph, pw, pc], step, values);
        }
        int n = (int)Math.Min(value.Shape.Length, MaxValues);
        return new GraphNodeMaps(node.Name, node.Op, shape, [n], 1, span[..n].ToArray());
    }
}
