using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Graph.Ops;

/// <summary>MaxPool and AvgPool (ksize, strides, padding as in TF; NHWC, or NCHW through transposes) on <see cref="Pooling"/>.</summary>
internal static class PoolingOps
{
    public static void Register(OpRegistry r)
    {
        r.Register(OpSupport.Op("MaxPool", 1, c => new Pool(c, max: true)));
        r.Register(OpSupport.Op("AvgPool", 1, c => new Pool(c, max: false)));
    }

    /// <summary>TF attributes of an NHWC node -> pooling options.</summary>
    public static PoolOptions Options(Attributes a) => Options(a, nchw: false);

    /// <summary>TF attributes -> pooling options; ksize and strides are in the node's layout (NHWC or NCHW).</summary>
    public static PoolOptions Options(Attributes a, bool nchw)
    {
        var k = a.Ints("ksize");
        var s = a.Ints("strides", k);
        var (kh, kw, sh, sw) = OpSupport.Spatial(k, s, "ksize", "strides", nchw, "; pooling runs over height and width");
        return new PoolOptions(kh, null, ConvolutionOps.PaddingOf(a, "", nchw)) { SizeW = kw, StrideH = sh, StrideW = sw };
    }

    private sealed class Pool : IOpKernel
    {
        private readonly PoolOptions _options;
        private readonly bool _max, _nchw;

        public Pool(CompileContext c, bool max)
        {
            _nchw = OpSupport.IsNchw(c.Attributes);
            _options = Options(c.Attributes, _nchw);
            _max = max;
        }

        public void Run(ref KernelContext c) => c.SetOutput(0, OpSupport.InNhwc(c.Input(0), _nchw,
            x => _max ? Pooling.MaxPool2D(x, _options) : Pooling.AvgPool2D(x, _options)));
    }
}
