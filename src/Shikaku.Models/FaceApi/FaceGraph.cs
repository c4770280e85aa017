using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Shikaku.Graph;
using Shikaku.Kernels;
using Shikaku.Formats;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// Builds a face-api.js network as a <see cref="ComputeGraph"/> from its weight map (face-api's tensor names), then
/// optimises and compiles it: every face network runs on the graph executor. The graph owns copies of the weights.
/// </summary>
internal sealed class FaceGraph(WeightMap weights, int inputSize) : IDisposable
{
    /// <summary>residualDown's shortcut: relu is applied after; see <see cref="ShortcutAdd"/>.</summary>
    public const string ShortcutAddOp = "Shikaku.FaceApi.ShortcutAdd";

    private static readonly OpRegistry Registry = CreateRegistry();
    private readonly ComputeGraph _graph = Input(inputSize);
    private GraphPlan? _plan;
    private int _count;

    private static ComputeGraph Input(int size)
    {
        var g = new ComputeGraph();
        g.AddInput("input", 1, size, size, 3);
        return g;
    }

    private static OpRegistry CreateRegistry()
    {
        var r = new OpRegistry(OpRegistry.Default);
        r.Register(new OpDefinition(ShortcutAddOp, _ => new ShortcutAdd()));
        return r;
    }

    public string InputName => "input";

    private string Name(string stem) => $"{stem}#{_count++}";

    private string Weight(string name, params int[] shape) => _graph.Constants.ContainsKey(name) ? name : _graph.AddConstant(name, weights.Get(name, shape).Clone(), owned: true);

    public string Node(string op, string stem, string[] inputs, Attributes? attributes = null) =>
        _graph.AddNode(new Node(Name(stem), op, inputs, attributes ?? new Attributes()));

    /// <summary>act(conv(x, "{prefix}/filters") + "{prefix}/bias").</summary>
    public string Conv(string x, string prefix, int k, int cin, int cout, int stride, Padding padding, Activation activation, string filters = "filters", string bias = "bias") =>
        Node("_FusedConv2D", prefix, [x, Weight($"{prefix}/{filters}", k, k, cin, cout), Weight($"{prefix}/{bias}", cout)],
            OpAttributes.Conv(new ConvOptions { Stride = stride, Padding = padding, Activation = activation }, bias: true));

    /// <summary>A 3x3 depthwise convolution ('same'), no bias.</summary>
    public string Depthwise(string x, string filter, int c, int stride) =>
        Node("DepthwiseConv2dNative", filter, [x, Weight(filter, 3, 3, c, 1)], OpAttributes.Conv(new ConvOptions { Stride = stride, Padding = Padding.Same }, bias: false));

    /// <summary>tf.separableConv2d + bias: depthwise 3x3 (stride s, 'same'), then pointwise 1x1 with the bias and the activation.</summary>
    public string Separable(string x, string prefix, int cin, int cout, int stride, Activation activation) =>
        Conv(Depthwise(x, $"{prefix}/depthwise_filter", cin, stride), prefix, 1, cin, cout, 1, Padding.Valid, activation, "pointwise_filter");

    /// <summary>x [N, in] * "{prefix}/weights" + "{prefix}/bias".</summary>
    public string FullyConnected(string x, string prefix, int cin, int cout) =>
        Node("_FusedMatMul", prefix, [x, Weight($"{prefix}/weights", cin, cout), Weight($"{prefix}/bias", cout)], OpAttributes.MatMul(true, Activation.Linear));

    /// <summary>A constant from the weights by name, for nodes built by hand.</summary>
    public string Constant(string name, params int[] shape) => Weight(name, shape);

    public string Add(string a, string b) => Node("AddV2", "add", [a, b]);
    public string Relu(string x) => Node("Relu", "relu", [x]);
    public string Pool(string op, string x, int size, int stride, Padding padding) => Node(op, op, [x], OpAttributes.Pool(new PoolOptions(size, stride, padding)));
    public string Flatten(string x) => Node("Reshape", "flatten", [x], new Attributes { ["shape"] = AttrValue.Ints(1, -1) });

    /// <summary>Declares the outputs, folds the scale and batch-norm layers into their convolutions, fuses, compiles.</summary>
    public void Compile(params string[] outputs)
    {
        _graph.Outputs.AddRange(outputs);
        GraphPasses.Optimize(_graph);
        _plan = GraphPlan.Compile(_graph, Registry);
    }

    /// <summary>The compiled plan (after <see cref="Compile"/>).</summary>
    public GraphPlan Plan => _plan ?? throw new InvalidOperationException("The face network was not compiled.");

    /// <summary>Runs the network on a prepared input; the caller disposes the outputs.</summary>
    public Tensor[] Run(Tensor input) => _plan!.Run(input);

    public void Dispose() => _graph.Dispose();

    /// <summary>(x - mean[c]) / divisor per channel, in place on an NHWC tensor with 3 channels (face-api's normalisation).</summary>
    public static void Normalize(Tensor x, ReadOnlySpan<float> mean, float divisor)
    {
        var s = x.Span;
        for (int i = 0; i < s.Length; i += 3)
        {
            s[i] = (s[i] - mean[0]) / divisor;
            s[i + 1] = (s[i + 1] - mean[1]) / divisor;
            s[i + 2] = (s[i + 2] - mean[2]) / divisor;
        }
    }

    // residualDown: the strided branch plus x average-pooled 2x2, zero-padded in channels (and, when the
    // strided convolution came out one row/column short, the branch zero-padded at the bottom/right).
    private sealed class ShortcutAdd : IOpKernel
    {
        public void Run(ref KernelContext c)
        {
            var b = c.TakeInput(0) ?? c.Input(0).Clone();
            var pooled = c.Input(1);
            int ph = pooled.Shape[1], pw = pooled.Shape[2];
            if (b.Shape[1] != ph || b.Shape[2] != pw)
            {
                var padded = Resample.Pad(b, 0, ph - b.Shape[1], 0, pw - b.Shape[2]);
                b.Dispose();
                b = padded;
            }
            int cin = pooled.Shape[3], cout = b.Shape[3];
            var bs = b.Span;
            var ps = pooled.Span;
            for (int p = 0; p < ph * pw; p++)
                TensorPrimitives.Add(bs.Slice(p * cout, cin), ps.Slice(p * cin, cin), bs.Slice(p * cout, cin));
            c.SetOutput(0, b);
        }
    }
}
