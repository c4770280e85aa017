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

    // Mean over axes (1, 2) of NHWC without keep_dims: global average pooling. Other reductions come with the Reduce ops.
    private sealed class SpatialMean : IOpKernel
    {
        public SpatialMean(CompileContext c)
        {
            var axes = c.Constant(1) is { } t ? t.ToArray().Select(v => (long)v).ToArray() : c.Attributes.Ints("axes");
            if (!axes.Order().SequenceEqual([1L, 2L]) || c.Attributes.Bool("keep_dims", false))
                throw c.Error($"Mean over axes ({string.Join(", ", axes)}) is not supported yet; only the spatial mean (axes 1, 2 of NHWC, keep_dims false).");
        }

        public void Run(ref KernelContext c) => c.SetOutput(0, Pooling.GlobalAvgPool(c.Input(0)));
    }
}
