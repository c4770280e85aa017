using Shikaku.Graph;
using Shikaku.Kernels;
using Shikaku.NN.Layers;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>
/// A Sequential model as an inference graph: each layer contributes its nodes, reading the layers' own parameter
/// tensors (no copies), so the graph stays valid after Fit or a weight load. Dropout is an Identity; batch
/// normalisation stays a FusedBatchNormV3 node (not folded: Predict keeps the layer-by-layer values exactly).
/// </summary>
internal static class SequentialGraph
{
    /// <summary>The op that runs a layer the graph has no nodes for (a user's own layer) through its Forward.</summary>
    public const string LayerOp = "Shikaku.Layer";

    /// <param name="fuse">Fuse a convolution with the 2x2 max pooling after it (inference); false keeps one node per layer, whose output the trace hook can hand out.</param>
    public static ComputeGraph Build(Sequential model, out OpRegistry registry, bool fuse = true)
    {
        var g = new ComputeGraph();
        g.AddInput("input", [-1, .. model.InputShape.ToArray()]);
        var custom = new Dictionary<string, Layer>(StringComparer.Ordinal);
        string x = "input";
        foreach (var layer in model.Layers) x = Add(g, layer, x, layer.Name, custom);
        g.Outputs.Add(x);
        // Two convolutions and 2x2 max pooling image by image, a convolution and 2x2 max pooling as one kernel.
        if (fuse) GraphPasses.FuseConvMaxPool(g);
        registry = OpRegistry.Default;
        if (custom.Count > 0)
        {
            registry = new OpRegistry(OpRegistry.Default);
            registry.Register(new OpDefinition(LayerOp, c => new LayerKernel(custom[c.Node.Name])));
        }
        return g;
    }

    private static string Add(ComputeGraph g, Layer layer, string x, string name, Dictionary<string, Layer> custom)
    {
        string Constant(string suffix, Tensor t) => g.AddConstant($"{name}/{suffix}", t, owned: false);
        switch (layer)
        {
            case Conv2D conv:
                return g.AddNode(new Node(name, "_FusedConv2D", [x, Constant("kernel", conv.Parameters[0].Value), Constant("bias", conv.Parameters[1].Value)],
                    OpAttributes.Conv(conv.Options, bias: true)));
            case DepthwiseConv2D dw:
                return g.AddNode(new Node(name, "FusedDepthwiseConv2dNative", [x, Constant("kernel", dw.Parameters[0].Value), Constant("bias", dw.Parameters[1].Value)],
                    OpAttributes.Conv(dw.Options, bias: true)));
            case Dense dense:
            {
                var activation = dense.IsSoftmax ? Activation.Linear : Activation.Parse((string)dense.Config()["activation"]!);
                string mm = g.AddNode(new Node(dense.IsSoftmax ? name + "/logits" : name, "_FusedMatMul",
                    [x, Constant("kernel", dense.Parameters[0].Value), Constant("bias", dense.Parameters[1].Value)], OpAttributes.MatMul(true, activation)));
                return dense.IsSoftmax ? g.AddNode(new Node(name, "Softmax", [mm])) : mm;
            }
            case MaxPooling2D pool:
                return g.AddNode(new Node(name, "MaxPool", [x], OpAttributes.Pool(pool.Options)));
            case AveragePooling2D pool:
                return g.AddNode(new Node(name, "AvgPool", [x], OpAttributes.Pool(pool.Options)));
            case GlobalAveragePooling2D:
                return g.AddNode(new Node(name, "Mean", [x], new Attributes { ["axes"] = AttrValue.Ints(1, 2) }));
            case Flatten:
                return g.AddNode(new Node(name, "Reshape", [x], new Attributes { ["shape"] = AttrValue.Ints(-1, layer.OutputShape.Length) }));
            case Dropout:
                // Inference is the identity; the node also keeps the layers around it from fusing across it, as Predict always did.
                return g.AddNode(new Node(name, "Identity", [x]));
            case BatchNormalization bn:
                return g.AddNode(new Node(name, "FusedBatchNormV3",
                    [x, Constant("gamma", bn.Parameters[0].Value), Constant("beta", bn.Parameters[1].Value),
                        Constant("moving_mean", bn.States[0].Value), Constant("moving_variance", bn.States[1].Value)],
                    new Attributes { ["epsilon"] = (float)bn.Epsilon }));
            case Residual residual:
            {
                string y = x;
                foreach (var inner in residual.Branch) y = Add(g, inner, y, $"{name}/{inner.Name}", custom);
                return g.AddNode(new Node(name, "AddV2", [x, y]));
            }
            default:
                custom[name] = layer;
                return g.AddNode(new Node(name, LayerOp, [x]));
        }
    }

    private sealed class LayerKernel(Layer layer) : IOpKernel
    {
        public void Run(ref KernelContext context) => context.SetOutput(0, layer.Forward(context.Input(0)));
    }
}
