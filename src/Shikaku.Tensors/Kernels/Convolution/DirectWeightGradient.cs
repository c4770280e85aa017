using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels.Conv;

/// <summary>
/// The weight gradient of a convolution, dW[kh, kw, ci, co] += Σ x[n, ih, iw, ci] · dy[n, oh, ow, co], on
/// AVX-512 without a patch matrix: a 12 x 32 register tile of dW (12 consecutive (kw, ci) of one kernel row
/// by 32 output channels) summed over every output pixel of an image, with the 12 values read straight from
/// the NHWC image (a kernel row's KW*C values are contiguous there) and the 32 from dy. Nothing is packed;
/// one image's x and dy stay in the core's cache while all of its tiles are summed.
/// When a kernel row is shorter than a tile (few channels) or dilated, each image's patch matrix is built
/// first (small, cache-resident) and read the same way. Threads take whole images into private partial sums.
/// </summary>
internal static unsafe class DirectWeightGradient
{
    private const int Rows = 12;

    public static bool Applies(int cout) => Engine.Simd == SimdLevel.Avx512 && cout % 32 == 0;

    /// <summary>dw (KH x KW x C x Cout) += the weight gradient of x (N x H x W x C) given dy (N x OH x OW x Cout).</summary>
    public static void Run(float* x, int n, int h, int w, int c, float* dy, int cout, in ConvGeometry g, float* dw)
    {
        var geo = g;
        int threads = Math.Min(Engine.Threads, n);
        var sums = new Accumulator?[threads];
        try
        {
            Engine.ParallelFor(threads, (first, last) =>
            {
                for (int t = first; t < last; t++)
                {
                    var sum = sums[t] = new Accumulator(h, w, c, cout, geo);
                    int b0 = (int)((long)n * t / threads), b1 = (int)((long)n * (t + 1) / threads);
                    for (int b = b0; b < b1; b++)
                        sum.AddImage(x + (long)b * h * w * c, dy + (long)b * geo.OutH * geo.OutW * cout, (long)geo.OutW * cout);
                }
            });
            foreach (var sum in sums) sum!.AddTo(dw);
        }
        finally
        {
            foreach (var sum in sums) sum?.Dispose();
        }
    }

    /// <summary>
    /// One thread's share of a weight gradient: a private K x Cout sum that images are added to one at a time,
    /// then added to dW. Holds the thread's scratch memory (a padded image, or an image's patch matrix).
    /// </summary>
    internal sealed class Accumulator : IDisposable
    {
        private readonly float* _partial, _scratch;
        private readonly int _h, _w, _c, _cout, _k, _hp, _wp;
        private readonly bool _direct, _copy;
        private readonly ConvGeometry _g;

        public Accumulator(int h, int w, int c, int cout, in ConvGeometry g)
        {
            (_h, _w, _c, _cout, _g) = (h, w, c, cout, g);
            _k = g.KH * g.KW * c;
            // Straight from the image when a kernel row holds at least one tile of contiguous values.
            _direct = g.DilationW == 1 && g.KW * c >= Rows;
            // Rows and columns the windows span, from the first window's top-left corner (padding included).
            _hp = (g.OutH - 1) * g.StrideH + (g.KH - 1) * g.DilationH + 1;
            _wp = (g.OutW - 1) * g.StrideW + (g.KW - 1) * g.DilationW + 1;
            _copy = _direct && (g.PadTop > 0 || g.PadLeft > 0 || _hp > h || _wp > w);
            int partialRows = Math.Max(_k, Rows);
            _partial = Alloc((long)partialRows * cout);
            new Span<float>(_partial, partialRows * cout).Clear();
            long scratch = _direct ? (_copy ? (long)_hp * _wp * c : 0) : (long)g.OutH * g.OutW * _k + Rows;
            _scratch = scratch > 0 ? Alloc(scratch) : null;
        }

        /// <summary>Adds one image (H x W x C) given its output gradient (OH rows of OW x Cout, rows <paramref name="dyRowStride"/> floats apart).</summary>
        public void AddImage(float* image, float* dy, long dyRowStride)
        {
            var g = _g;
            if (!_direct)
            {
                // One segment: the image's patch matrix, K values per output pixel.
                for (int oh = 0; oh < g.OutH; oh++) Im2Col.GatherRow(image, _h, _w, _c, g, oh, _scratch + (long)oh * g.OutW * _k);
                Image(_scratch, _k, (long)g.OutW * _k, 1, 0, _k, g, dy, dyRowStride, _cout, _partial);
                return;
            }
            long rowStride = (long)_w * _c;
            if (_copy)
            {
                CopyPadded(image, _h, _w, _c, g, _hp, _wp, _scratch);
                image = _scratch;
                rowStride = (long)_wp * _c;
            }
            // One segment per kernel row: its KW*C values are contiguous in the image.
            Image(image, (long)g.StrideW * _c, g.StrideH * rowStride, g.KH, g.DilationH * rowStride, g.KW * _c, g, dy, dyRowStride, _cout, _partial);
        }

        /// <summary>dw += this thread's sum.</summary>
        public void AddTo(float* dw)
        {
            var target = new Span<float>(dw, _k * _cout);
            TensorPrimitives.Add(target, new ReadOnlySpan<float>(_partial, _k * _cout), target);
        }

        public void Dispose()
        {
            NativeMemory.AlignedFree(_partial);
            if (_scratch != null) NativeMemory.AlignedFree(_scratch);
        }
    }

    private static float* Alloc(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);

    /// <summary>
    /// One image's contribution: <paramref name="segments"/> runs of <paramref name="length"/> contiguous values
    /// (segment s starts <paramref name="segmentStride"/> floats after the one before and fills dW rows
    /// s*length ...), each cut into 12-row tiles; the last tile of a run is moved back to end with the run and
    /// stores only its new rows (runs shorter than 12 read a few values past their end into rows never stored).
    /// </summary>
    private static void Image(float* a, long pixelStride, long rowStride, int segments, long segmentStride, int length,
        in ConvGeometry g, float* dy, long dyRowStride, int cout, float* partial)
    {
        for (int s = 0; s < segments; s++)
            for (int t0 = 0; t0 < length; t0 += Rows)
            {
                int start = length >= Rows ? Math.Min(t0, length - Rows) : 0;
                int lo = t0 - start, hi = Math.Min(length - start, Rows);
                float* dwRows = partial + (long)(s * length + start) * cout;
                for (int co = 0; co < cout; co += 32)
                    Tile(a + s * segmentStride + start, (nint)pixelStride, (nint)rowStride, g.OutH, g.OutW, dy + co, cout, (nint)dyRowStride, dwRows + co, cout, lo, hi);
            }
    }

    /// <summary>The padded image the windows read (zeros outside the input), so every kernel row is contiguous.</summary>
    private static void CopyPadded(float* image, int h, int w, int c, in ConvGeometry g, int hp, int wp, float* dst)
    {
        for (int r = 0; r < hp; r++)
        {
            float* d = dst + (long)r * wp * c;
            int ih = r - g.PadTop;
            if (ih < 0 || ih >= h)
            {
                new Span<float>(d, wp * c).Clear();
                continue;
            }
            int left = Math.Min(g.PadLeft, wp), inside = Math.Max(0, Math.Min(w, wp - g.PadLeft));
            new Span<float>(d, left * c).Clear();
            Buffer.MemoryCopy(image + (long)ih * w * c, d + (long)left * c, (long)inside * c * sizeof(float), (long)inside * c * sizeof(float));
            new Span<float>(d + (long)(left + inside) * c, (wp - left - inside) * c).Clear();
        }
    }

    /// <summary>
    /// dW rows lo..hi-1 of a 12 x 32 tile += Σ over the image's output pixels of a[pixel, 0..11] ⊗ dy[pixel, 0..31].
    /// All 24 accumulators are separate locals so they stay in registers for the whole image.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* a, nint pixelStride, nint rowStride, int outH, int outW, float* dy, nint ldy, nint dyRowStride, float* dw, nint ldw, int lo, int hi)
    {
        var c00 = Vector512.Load(dw); var c01 = Vector512.Load(dw + 16);
        var c10 = Vector512.Load(dw + ldw); var c11 = Vector512.Load(dw + ldw + 16);
        var c20 = Vector512.Load(dw + 2 * ldw); var c21 = Vector512.Load(dw + 2 * ldw + 16);
        var c30 = Vector512.Load(dw + 3 * ldw); var c31 = Vector512.Load(dw + 3 * ldw + 16);
        var c40 = Vector512.Load(dw + 4 * ldw); var c41 = Vector512.Load(dw + 4 * ldw + 16);
        var c50 = Vector512.Load(dw + 5 * ldw); var c51 = Vector512.Load(dw + 5 * ldw + 16);
        var c60 = Vector512.Load(dw + 6 * ldw); var c61 = Vector512.Load(dw + 6 * ldw + 16);
        var c70 = Vector512.Load(dw + 7 * ldw); var c71 = Vector512.Load(dw + 7 * ldw + 16);
        var c80 = Vector512.Load(dw + 8 * ldw); var c81 = Vector512.Load(dw + 8 * ldw + 16);
        var c90 = Vector512.Load(dw + 9 * ldw); var c91 = Vector512.Load(dw + 9 * ldw + 16);
        var ca0 = Vector512.Load(dw + 10 * ldw); var ca1 = Vector512.Load(dw + 10 * ldw + 16);
        var cb0 = Vector512.Load(dw + 11 * ldw); var cb1 = Vector512.Load(dw + 11 * ldw + 16);
        for (int r = 0; r < outH; r++)
        {
            float* p = a + r * rowStride, b = dy + r * dyRowStride;
            for (int q = outW; q > 0; q--)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                Vector512<float> v;
                v = Vector512.Create(p[0]); c00 = Vector512.FusedMultiplyAdd(b0, v, c00); c01 = Vector512.FusedMultiplyAdd(b1, v, c01);
                v = Vector512.Create(p[1]); c10 = Vector512.FusedMultiplyAdd(b0, v, c10); c11 = Vector512.FusedMultiplyAdd(b1, v, c11);
                v = Vector512.Create(p[2]); c20 = Vector512.FusedMultiplyAdd(b0, v, c20); c21 = Vector512.FusedMultiplyAdd(b1, v, c21);
                v = Vector512.Create(p[3]); c30 = Vector512.FusedMultiplyAdd(b0, v, c30); c31 = Vector512.FusedMultiplyAdd(b1, v, c31);
                v = Vector512.Create(p[4]); c40 = Vector512.FusedMultiplyAdd(b0, v, c40); c41 = Vector512.FusedMultiplyAdd(b1, v, c41);
                v = Vector512.Create(p[5]); c50 = Vector512.FusedMultiplyAdd(b0, v, c50); c51 = Vector512.FusedMultiplyAdd(b1, v, c51);
                v = Vector512.Create(p[6]); c60 = Vector512.FusedMultiplyAdd(b0, v, c60); c61 = Vector512.FusedMultiplyAdd(b1, v, c61);
                v = Vector512.Create(p[7]); c70 = Vector512.FusedMultiplyAdd(b0, v, c70); c71 = Vector512.FusedMultiplyAdd(b1, v, c71);
                v = Vector512.Create(p[8]); c80 = Vector512.FusedMultiplyAdd(b0, v, c80); c81 = Vector512.FusedMultiplyAdd(b1, v, c81);
                v = Vector512.Create(p[9]); c90 = Vector512.FusedMultiplyAdd(b0, v, c90); c91 = Vector512.FusedMultiplyAdd(b1, v, c91);
                v = Vector512.Create(p[10]); ca0 = Vector512.FusedMultiplyAdd(b0, v, ca0); ca1 = Vector512.FusedMultiplyAdd(b1, v, ca1);
                v = Vector512.Create(p[11]); cb0 = Vector512.FusedMultiplyAdd(b0, v, cb0); cb1 = Vector512.FusedMultiplyAdd(b1, v, cb1);
                p += pixelStride;
                b += ldy;
            }
        }
        if (lo <= 0 && hi > 0) { c00.Store(dw); c01.Store(dw + 16); }
        if (lo <= 1 && hi > 1) { c10.Store(dw + ldw); c11.Store(dw + ldw + 16); }
        if (lo <= 2 && hi > 2) { c20.Store(dw + 2 * ldw); c21.Store(dw + 2 * ldw + 16); }
        if (lo <= 3 && hi > 3) { c30.Store(dw + 3 * ldw); c31.Store(dw + 3 * ldw + 16); }
        if (lo <= 4 && hi > 4) { c40.Store(dw + 4 * ldw); c41.Store(dw + 4 * ldw + 16); }
        if (lo <= 5 && hi > 5) { c50.Store(dw + 5 * ldw); c51.Store(dw + 5 * ldw + 16); }
        if (lo <= 6 && hi > 6) { c60.Store(dw + 6 * ldw); c61.Store(dw + 6 * ldw + 16); }
        if (lo <= 7 && hi > 7) { c70.Store(dw + 7 * ldw); c71.Store(dw + 7 * ldw + 16); }
        if (lo <= 8 && hi > 8) { c80.Store(dw + 8 * ldw); c81.Store(dw + 8 * ldw + 16); }
        if (lo <= 9 && hi > 9) { c90.Store(dw + 9 * ldw); c91.Store(dw + 9 * ldw + 16); }
        if (lo <= 10 && hi > 10) { ca0.Store(dw + 10 * ldw); ca1.Store(dw + 10 * ldw + 16); }
        if (lo <= 11 && hi > 11) { cb0.Store(dw + 11 * ldw); cb1.Store(dw + 11 * ldw + 16); }
    }
}
