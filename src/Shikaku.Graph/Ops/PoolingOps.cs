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
        string order = nchw ? "NCHW" : "NHWC";
        if (k.Length != 4 || s.Length != 4) throw new GraphException($"'ksize' and 'strides' must have 4 values ({order}), got {k.Length} and {s.Length}.");
        int h = nchw ? 2 : 1, w = h + 1, c = nchw ? 1 : 3;
        if (k[0] != 1 || k[c] != 1 || s[0] != 1 || s[c] != 1)
            throw new GraphException($"'ksize' [{string.Join(", ", k)}] and 'strides' [{string.Join(", ", s)}] must be 1 along the batch and the channels ({order}); pooling runs over height and width.");
        if (new[] { k[h], k[w], s[h], s[w] }.Any(v => v < 1 || v > int.MaxValue))
            throw new GraphException($"'ksize' [{string.Join(", ", k)}] and 'strides' [{string.Join(", ", s)}] must be at least 1.");
        return new PoolOptions((int)k[h], null, ConvolutionOps.PaddingOf(a, "", nchw)) { SizeW = (int)k[w], StrideH = (int)s[h], StrideW = (int)s[w] };
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
