using Shikaku.Kernels;

namespace Shikaku.Graph.Ops;

/// <summary>MaxPool, AvgPool (ksize, strides, padding as in TF) and Mean over the spatial axes, on <see cref="Pooling"/>.</summary>
internal static class PoolingOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(new OpDefinition("MaxPool", c => new Pool(c, max: true)));
        r.Register(new OpDefinition("AvgPool", c => new Pool(c, max: false)));
        r.Register(new OpDefinition("Mean", c => new SpatialMean(c)));
    }

    /// <summary>TF attributes -> pooling options.</summary>
    public static PoolOptions Options(Attributes a)
    {
        var k = a.Ints("ksize");
        var s = a.Ints("strides", k);
        if (k.Length != 4 || s.Length != 4) throw new GraphException($"'ksize' and 'strides' must have 4 values (NHWC), got {k.Length} and {s.Length}.");
        return new PoolOptions((int)k[1], null, ConvolutionOps.PaddingOf(a)) { SizeW = (int)k[2], StrideH = (int)s[1], StrideW = (int)s[2] };
    }

    private sealed class Pool(CompileContext c, bool max) : IOpKernel
    {
        private readonly PoolOptions _options = Options(c.Attributes);

        public void Run(ref KernelContext c) => c.SetOutput(0, max ? Pooling.MaxPool2D(c.Input(0), _options) : Pooling.AvgPool2D(c.Input(0), _options));
    }

    // Mean over axes (1, 2) of a 4-D NHWC tensor without keep_dims is global average pooling (its own kernel);
    // any other axes go to the engine's reduction.
    private sealed class SpatialMean : IOpKernel
    {
        private readonly int[] _axes;
        private readonly bool _keepDims;

        public SpatialMean(CompileContext c)
        {
            _axes = (c.Constant(1) is { } t ? ShapeOps.Integers(t) : c.Attributes.Ints("axes")).Select(v => (int)v).ToArray();
            _keepDims = c.Attributes.Bool("keep_dims", false);
        }

        public void Run(ref KernelContext c)
        {
            var x = c.Input(0);
            bool spatial = x.Rank == 4 && !_keepDims && x.DType == Tensors.DType.Float32
                && _axes.Select(a => a < 0 ? a + 4 : a).Order().SequenceEqual([1, 2]);
            c.SetOutput(0, spatial ? Pooling.GlobalAvgPool(x) : TensorOps.Mean(x, _axes, _keepDims));
        }
    }
}
