using Shikaku.Kernels.Gemm;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Shikaku.Kernels.Conv;

/// <summary>
/// Direct convolution for stride 1 on AVX-512, output channels in blocks of 32: the GEMM micro-kernel's
/// 12 x 32 register tile, but the 12 rows are 12 neighbouring output pixels read straight from the NHWC
/// image (pixel i of a window row is i*C floats further), so nothing is packed. A convolution with few
/// output channels cannot amortise packing the patch matrix; this one has none to amortise.
/// With padding, each image is copied once into a zero-bordered buffer per thread. <see cref="Run"/> also takes
/// 1x1 convolutions with few input channels (the pointwise half of a depthwise-separable block, where GEMM would pack
/// the whole image for a few multiply-adds per value) and output counts that are not a multiple of 32 (the weights and
/// bias copied once into 32-wide column blocks, the last block stored under a mask).
/// </summary>
internal static unsafe class DirectConv
{
    private const int Rows = 12;

    /// <summary>Whether the pooled and chained forms and the backward pass take the convolution: a window, 32-channel blocks.</summary>
    public static bool Applies(in ConvGeometry g, int groups, int c, int cout) =>
        Takes(g, groups, c, cout) && cout % 32 == 0 && g.KH * g.KW > 1 && g.StrideH == 1 && g.StrideW == 1;

    /// <summary>Input channels up to which a 1x1 convolution runs here rather than as a GEMM (its 32 columns of weights stay in L1).</summary>
    private const int PointwiseChannels = 256;

    /// <summary>Whether <see cref="Run"/> takes the convolution.</summary>
    public static bool Takes(in ConvGeometry g, int groups, int c, int cout) =>
        Engine.Simd == SimdLevel.Avx512 && groups == 1 && g.StrideH <= 2 && g.StrideW <= 2 && g.DilationH == 1 && g.DilationW == 1
        && cout >= 16 && c >= 1 && (g.KH * g.KW > 1 || c <= PointwiseChannels) && g.OutW >= 4;

    public static void Run(float* x, int n, int h, int w, int c, float* kernel, int cout, float* bias,
        in ConvGeometry g, Activation activation, float* y)
    {
        // Weights [taps, cout] in rows of a multiple of 32 (zeros beyond cout), and the bias likewise: each block's
        // loads stay inside, and the lanes past cout compute zeros that the masked store leaves out.
        int ldk = (cout + 31) & ~31;
        float* padded = null, paddedBias = null;
        if (ldk != cout)
        {
            long taps = (long)g.KH * g.KW * c;
            padded = (float*)NativeMemory.AlignedAlloc((nuint)((taps * ldk + ldk) * sizeof(float)), 64);
            new Span<float>(padded, checked((int)(taps * ldk + ldk))).Clear();
            for (long t = 0; t < taps; t++) Buffer.MemoryCopy(kernel + t * cout, padded + t * ldk, (long)cout * sizeof(float), (long)cout * sizeof(float));
            if (bias != null)
            {
                paddedBias = padded + taps * ldk;
                Buffer.MemoryCopy(bias, paddedBias, (long)cout * sizeof(float), (long)cout * sizeof(float));
            }
            kernel = padded;
            if (bias != null) bias = paddedBias;
        }
        try
        {
            var geometry = g;
            var fused = FusedTail.For(activation);
            int oh = g.OutH, ow = g.OutW;
            Engine.ParallelFor(n * oh, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, last) =>
            {
                using var rows = new RowSource(x, h, w, c, geometry);
                for (int row = first; row < last; row++)
                    Row(rows.Input(row / oh, row % oh * geometry.StrideH, out int stride), stride, c, kernel, cout, bias, geometry, activation, fused, y + (long)row * ow * cout, ldk);
            });
        }
        finally
        {
            if (padded != null) NativeMemory.AlignedFree(padded);
        }
    }

    /// <summary>
    /// The convolution followed by 2x2 max pooling with stride 2 (valid): each pair of convolution rows is
    /// computed into a small buffer and pooled at once, so the full-size convolution output is never written
    /// to memory. y: [N, OH / 2, OW / 2, Cout]. With <paramref name="argmax"/> (one byte per value of y) the
    /// tap of each window that held the maximum is recorded for the backward pass: 0 top left, 1 top right,
    /// 2 bottom left, 3 bottom right, the first in that order on ties.
    /// </summary>
    public static void RunMaxPooled(float* x, int n, int h, int w, int c, float* kernel, int cout, float* bias,
        in ConvGeometry g, Activation activation, float* y, byte* argmax = null)
    {
        var geometry = g;
        var fused = FusedTail.For(activation);
        int oh = g.OutH, ow = g.OutW, ph = oh / 2, pw = ow / 2;
        Engine.ParallelFor(n * ph, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, last) =>
        {
            using var rows = new RowSource(x, h, w, c, geometry);
            var pair = (float*)NativeMemory.AlignedAlloc((nuint)(2L * ow * cout * sizeof(float)), 64);
            try
            {
                for (int row = first; row < last; row++)
                {
                    int b = row / ph, r = row - b * ph;
                    for (int k = 0; k < 2; k++)
                        Row(rows.Input(b, 2 * r + k, out int stride), stride, c, kernel, cout, bias, geometry, activation, fused, pair + (long)k * ow * cout);
                    long at = (long)row * pw * cout;
                    PoolPair(pair, ow, cout, y + at, argmax == null ? null : argmax + at);
                }
            }
            finally
            {
                NativeMemory.AlignedFree(pair);
            }
        });
    }

    /// <summary>
    /// Two convolutions and 2x2 max pooling, for inference, one image at a time per thread: the first
    /// convolution's output for an image (a few hundred KB) stays in the thread's cache while the second
    /// convolution reads it, pooled as in <see cref="RunMaxPooled"/>; it is never written to memory for the batch.
    /// </summary>
    public static void RunChainMaxPooled(float* x, int n, int h, int w, int c,
        float* kernelA, int coutA, float* biasA, in ConvGeometry ga, Activation activationA,
        float* kernelB, int coutB, float* biasB, in ConvGeometry gb, Activation activationB, float* y)
    {
        var geoA = ga;
        var geoB = gb;
        FusedTail.Op? fusedA = FusedTail.For(activationA), fusedB = FusedTail.For(activationB);
        int ohA = ga.OutH, owA = ga.OutW, ph = gb.OutH / 2, pw = gb.OutW / 2, owB = gb.OutW;
        Engine.ParallelFor(n, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (first, last) =>
        {
            using var rowsA = new RowSource(x, h, w, c, geoA);
            var middle = (float*)NativeMemory.AlignedAlloc((nuint)((long)ohA * owA * coutA * sizeof(float)), 64);
            var pair = (float*)NativeMemory.AlignedAlloc((nuint)(2L * owB * coutB * sizeof(float)), 64);
            using var rowsB = new RowSource(middle, ohA, owA, coutA, geoB);
            try
            {
                for (int b = first; b < last; b++)
                {
                    for (int r = 0; r < ohA; r++)
                        Row(rowsA.Input(b, r, out int stride), stride, c, kernelA, coutA, biasA, geoA, activationA, fusedA, middle + (long)r * owA * coutA);
                    rowsB.Invalidate();
                    for (int r = 0; r < ph; r++)
                    {
                        for (int k = 0; k < 2; k++)
                            Row(rowsB.Input(0, 2 * r + k, out int stride), stride, coutA, kernelB, coutB, biasB, geoB, activationB, fusedB, pair + (long)k * owB * coutB);
                        PoolPair(pair, owB, coutB, y + ((long)b * ph + r) * pw * coutB, null);
                    }
                }
            }
            finally
            {
                NativeMemory.AlignedFree(pair);
                NativeMemory.AlignedFree(middle);
            }
        });
    }

    /// <summary>2x2 max pooling of two convolution rows (and, with <paramref name="argmax"/>, the tap of each maximum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PoolPair(float* pair, int ow, int cout, float* y, byte* argmax)
    {
        int pw = ow / 2;
        for (int pc = 0; pc < pw; pc++, y += cout)
        {
            float* a = pair + (long)(2 * pc) * cout, below = a + (long)ow * cout;
            for (int co = 0; co < cout; co += 16)
            {
                var t0 = Vector512.Load(a + co);
                var t1 = Vector512.Load(a + cout + co);
                var t2 = Vector512.Load(below + co);
                var t3 = Vector512.Load(below + cout + co);
                var max = Vector512.Max(Vector512.Max(t0, t1), Vector512.Max(t2, t3));
                max.Store(y + co);
                if (argmax == null) continue;
                var tap = Vector512.ConditionalSelect(Vector512.Equals(t0, max).AsInt32(), Vector512<int>.Zero,
                    Vector512.ConditionalSelect(Vector512.Equals(t1, max).AsInt32(), Vector512<int>.One,
                        Vector512.ConditionalSelect(Vector512.Equals(t2, max).AsInt32(), Vector512.Create(2), Vector512.Create(3))));
                Avx512F.ConvertToVector128Byte(tap).Store(argmax + (long)pc * cout + co);
            }
        }
    }

    /// <summary>
    /// One output row in tiles of 12 and 13 pixels when the width is a sum of those (24 = 12 + 12, 26 = 13 + 13),
    /// else tiles of 12 and then of 4 for the rest.
    /// </summary>
    /// <param name="fused">The activation's fused form (<see cref="FusedTail.For"/>), worked out once per convolution by the
    /// caller: this runs per output row, where even a table lookup and a virtual call showed (conv1 of the lecture CNN: 9 %).</param>
    /// <param name="ldk">The kernel's row stride, a multiple of 32 at least <paramref name="cout"/> (0: <paramref name="cout"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Row(float* input, int stride, int c, float* kernel, int cout, float* bias, in ConvGeometry g, Activation activation, FusedTail.Op? fused, float* output,
        int ldk = 0)
    {
        if (ldk == 0) ldk = cout;
        int ow = g.OutW, kh = g.KH, kw = g.KW;
        // Tiles of 13 first: as few as make the rest a multiple of 12 (none when no count does).
        int wide = 0;
        while (wide * 13 <= ow && (ow - wide * 13) % Rows != 0) wide++;
        if (wide * 13 > ow) wide = 0;
        int full = wide * 13 + (ow - wide * 13) / Rows * Rows;
        for (int co = 0; co < cout; co += 32)
        {
            var tail = new FusedTail(bias == null ? null : bias + co, fused ?? FusedTail.Op.None, activation.Alpha);
            var store = new Columns(cout - co, cout);
            if (c % 2 == 0) Tiles<TwoChannels>(input, stride, c, g.StrideW, kh, kw, kernel + co, ldk, tail, output + co, ow, wide, full, store);
            else Tiles<OneChannel>(input, stride, c, g.StrideW, kh, kw, kernel + co, ldk, tail, output + co, ow, wide, full, store);
        }
        // Sigmoid and tanh cannot be fused: one pass over the finished row.
        if (fused == null) activation.Apply(new Span<float>(output, ow * cout));
    }

    /// <summary>32 output channels of a row: <paramref name="wide"/> tiles of 13 pixels, then of 12 up to <paramref name="full"/>, then of 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tiles<TSteps>(float* input, int stride, int c, int sw, int kh, int kw, float* kernel, int ldk, in FusedTail tail, float* output,
        int ow, int wide, int full, in Columns store) where TSteps : struct, IChannelSteps
    {
        int col = 0, ps = sw * c;
        for (; col < wide * 13; col += 13)
            Tile<Width13, TSteps>(input + (long)col * ps, stride, c, ps, kh, kw, kernel, ldk, tail, output + (long)col * store.Ld, store);
        for (; col < full; col += Rows)
            Tile<Width12, TSteps>(input + (long)col * ps, stride, c, ps, kh, kw, kernel, ldk, tail, output + (long)col * store.Ld, store);
        // The rest in tiles of 4; the last may recompute pixels of the one before (same values).
        for (; col < ow; col += 4)
        {
            int start = Math.Min(col, ow - 4);
            Tile<Width4, TSteps>(input + (long)start * ps, stride, c, ps, kh, kw, kernel, ldk, tail, output + (long)start * store.Ld, store);
        }
    }

    /// <summary>
    /// Where an output row's input rows are: straight in the image, or, with padding, in a zero-bordered copy
    /// of the whole image (one per thread, made when the thread reaches a new image; the border is cleared
    /// once, the copies only write the inside).
    /// </summary>
    private sealed class RowSource : IDisposable
    {
        private readonly float* _x, _padded;
        private readonly int _h, _w, _c, _pt, _pl, _wp;
        private int _current = -1;

        public RowSource(float* x, int h, int w, int c, in ConvGeometry g)
        {
            _x = x;
            (_h, _w, _c, _pt, _pl) = (h, w, c, g.PadTop, g.PadLeft);
            _wp = w + g.PadLeft + g.PadRight;
            bool padded = g.PadTop != 0 || g.PadBottom != 0 || g.PadLeft != 0 || g.PadRight != 0;
            if (!padded) return;
            long floats = (long)(h + g.PadTop + g.PadBottom) * _wp * c;
            _padded = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            new Span<float>(_padded, checked((int)floats)).Clear();
        }

        /// <summary>The first input row output row r of image b reads, and the row stride in pixels.</summary>
        public float* Input(int b, int r, out int stride)
        {
            if (_padded == null)
            {
                stride = _w;
                return _x + ((long)b * _h + r) * _w * _c;
            }
            if (_current != b)
            {
                long rowBytes = (long)_w * _c * sizeof(float);
                for (int ih = 0; ih < _h; ih++)
                    Buffer.MemoryCopy(_x + ((long)b * _h + ih) * _w * _c, _padded + ((long)(ih + _pt) * _wp + _pl) * _c, rowBytes, rowBytes);
                _current = b;
            }
            stride = _wp;
            return _padded + (long)r * _wp * _c;
        }

        /// <summary>The image memory was overwritten: copy it again on the next request.</summary>
        public void Invalidate() => _current = -1;

        public void Dispose()
        {
            if (_padded != null) NativeMemory.AlignedFree(_padded);
        }
    }

    /// <summary>How many neighbouring output pixels a tile computes: a constant in each compiled copy of <see cref="Tile"/>.</summary>
    private interface ITileWidth
    {
        static abstract int Pixels { get; }
    }

    private readonly struct Width4 : ITileWidth { public static int Pixels => 4; }

    private readonly struct Width12 : ITileWidth { public static int Pixels => 12; }

    private readonly struct Width13 : ITileWidth { public static int Pixels => 13; }

    /// <summary>Input channels taken per pass of a tile's loop: 2 when the channel count is even.</summary>
    private interface IChannelSteps
    {
        static abstract int Channels { get; }
    }

    private readonly struct OneChannel : IChannelSteps { public static int Channels => 1; }

    private readonly struct TwoChannels : IChannelSteps { public static int Channels => 2; }

    /// <summary>
    /// 4, 12 or 13 neighbouring output pixels x 32 channels. Each width is its own compiled copy with the unused
    /// pixels' code removed, so every accumulator is a separate local the JIT keeps in a register (13 pixels: 26
    /// accumulators, 2 kernel vectors and a broadcast, 29 of the 32 registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TWidth, TSteps>(float* x, int w, int c, nint ps, int kh, int kw, float* kernel, int cout, in FusedTail tail, float* y, in Columns store)
        where TWidth : struct, ITileWidth
        where TSteps : struct, IChannelSteps
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default, cc0 = default, cc1 = default;
        // c1, c2: one and two output pixels further along the input row (the stride in pixels times the channels).
        nint c1 = ps, c2 = 2 * ps;
        // One flat loop over (tap, channel), so the JIT keeps the accumulators in registers; at the end of a
        // tap's channels the pointers jump to the next tap (kernel row j + 1, or the next input row). With an
        // even channel count each pass takes two channels (half the loop's bookkeeping per multiply-add).
        float* a0 = x, k = kernel;
        int j = 0, ci = 0, steps = TSteps.Channels;
        for (int q = kh * kw * c; q > 0; q -= steps)
        {
            Vector512<float> v;
            var b0 = Vector512.Load(k);
            var b1 = Vector512.Load(k + 16);
            float* a3 = a0 + 3 * c1;
            v = Vector512.Create(a0[0]); c00 = Vector512.FusedMultiplyAdd(b0, v, c00); c01 = Vector512.FusedMultiplyAdd(b1, v, c01);
            v = Vector512.Create(a0[c1]); c10 = Vector512.FusedMultiplyAdd(b0, v, c10); c11 = Vector512.FusedMultiplyAdd(b1, v, c11);
            v = Vector512.Create(a0[c2]); c20 = Vector512.FusedMultiplyAdd(b0, v, c20); c21 = Vector512.FusedMultiplyAdd(b1, v, c21);
            v = Vector512.Create(a3[0]); c30 = Vector512.FusedMultiplyAdd(b0, v, c30); c31 = Vector512.FusedMultiplyAdd(b1, v, c31);
            if (TWidth.Pixels > 4)
            {
                float* a6 = a0 + 6 * c1, a9 = a0 + 9 * c1;
                v = Vector512.Create(a3[c1]); c40 = Vector512.FusedMultiplyAdd(b0, v, c40); c41 = Vector512.FusedMultiplyAdd(b1, v, c41);
                v = Vector512.Create(a3[c2]); c50 = Vector512.FusedMultiplyAdd(b0, v, c50); c51 = Vector512.FusedMultiplyAdd(b1, v, c51);
                v = Vector512.Create(a6[0]); c60 = Vector512.FusedMultiplyAdd(b0, v, c60); c61 = Vector512.FusedMultiplyAdd(b1, v, c61);
                v = Vector512.Create(a6[c1]); c70 = Vector512.FusedMultiplyAdd(b0, v, c70); c71 = Vector512.FusedMultiplyAdd(b1, v, c71);
                v = Vector512.Create(a6[c2]); c80 = Vector512.FusedMultiplyAdd(b0, v, c80); c81 = Vector512.FusedMultiplyAdd(b1, v, c81);
                v = Vector512.Create(a9[0]); c90 = Vector512.FusedMultiplyAdd(b0, v, c90); c91 = Vector512.FusedMultiplyAdd(b1, v, c91);
                v = Vector512.Create(a9[c1]); ca0 = Vector512.FusedMultiplyAdd(b0, v, ca0); ca1 = Vector512.FusedMultiplyAdd(b1, v, ca1);
                v = Vector512.Create(a9[c2]); cb0 = Vector512.FusedMultiplyAdd(b0, v, cb0); cb1 = Vector512.FusedMultiplyAdd(b1, v, cb1);
                if (TWidth.Pixels > 12)
                {
                    v = Vector512.Create(a9[3 * c1]); cc0 = Vector512.FusedMultiplyAdd(b0, v, cc0); cc1 = Vector512.FusedMultiplyAdd(b1, v, cc1);
                }
            }
            // The same for the next channel, written out again: a helper struct holding the accumulators made
            // the JIT keep them in memory (measured 270 -> 90 GFLOPS).
            if (TSteps.Channels == 2)
            {
                float* a1 = a0 + 1;
                var e0 = Vector512.Load(k + cout);
                var e1 = Vector512.Load(k + cout + 16);
                a3 = a1 + 3 * c1;
                v = Vector512.Create(a1[0]); c00 = Vector512.FusedMultiplyAdd(e0, v, c00); c01 = Vector512.FusedMultiplyAdd(e1, v, c01);
                v = Vector512.Create(a1[c1]); c10 = Vector512.FusedMultiplyAdd(e0, v, c10); c11 = Vector512.FusedMultiplyAdd(e1, v, c11);
                v = Vector512.Create(a1[c2]); c20 = Vector512.FusedMultiplyAdd(e0, v, c20); c21 = Vector512.FusedMultiplyAdd(e1, v, c21);
                v = Vector512.Create(a3[0]); c30 = Vector512.FusedMultiplyAdd(e0, v, c30); c31 = Vector512.FusedMultiplyAdd(e1, v, c31);
                if (TWidth.Pixels > 4)
                {
                    float* a6 = a1 + 6 * c1, a9 = a1 + 9 * c1;
                    v = Vector512.Create(a3[c1]); c40 = Vector512.FusedMultiplyAdd(e0, v, c40); c41 = Vector512.FusedMultiplyAdd(e1, v, c41);
                    v = Vector512.Create(a3[c2]); c50 = Vector512.FusedMultiplyAdd(e0, v, c50); c51 = Vector512.FusedMultiplyAdd(e1, v, c51);
                    v = Vector512.Create(a6[0]); c60 = Vector512.FusedMultiplyAdd(e0, v, c60); c61 = Vector512.FusedMultiplyAdd(e1, v, c61);
                    v = Vector512.Create(a6[c1]); c70 = Vector512.FusedMultiplyAdd(e0, v, c70); c71 = Vector512.FusedMultiplyAdd(e1, v, c71);
                    v = Vector512.Create(a6[c2]); c80 = Vector512.FusedMultiplyAdd(e0, v, c80); c81 = Vector512.FusedMultiplyAdd(e1, v, c81);
                    v = Vector512.Create(a9[0]); c90 = Vector512.FusedMultiplyAdd(e0, v, c90); c91 = Vector512.FusedMultiplyAdd(e1, v, c91);
                    v = Vector512.Create(a9[c1]); ca0 = Vector512.FusedMultiplyAdd(e0, v, ca0); ca1 = Vector512.FusedMultiplyAdd(e1, v, ca1);
                    v = Vector512.Create(a9[c2]); cb0 = Vector512.FusedMultiplyAdd(e0, v, cb0); cb1 = Vector512.FusedMultiplyAdd(e1, v, cb1);
                    if (TWidth.Pixels > 12)
                    {
                        v = Vector512.Create(a9[3 * c1]); cc0 = Vector512.FusedMultiplyAdd(e0, v, cc0); cc1 = Vector512.FusedMultiplyAdd(e1, v, cc1);
                    }
                }
            }
            a0 += steps;
            k += steps * cout;
            ci += steps;
            if (ci == c)
            {
                ci = 0;
                if (++j == kw) { j = 0; a0 += (nint)(w - kw) * c; }
            }
        }
        // Bias and piecewise-linear activations in registers, as the GEMM micro-kernels do.
        Store(y + 0 * store.Ld, c00, c01, tail, store);
        Store(y + 1 * store.Ld, c10, c11, tail, store);
        Store(y + 2 * store.Ld, c20, c21, tail, store);
        Store(y + 3 * store.Ld, c30, c31, tail, store);
        if (TWidth.Pixels <= 4) return;
        Store(y + 4 * store.Ld, c40, c41, tail, store);
        Store(y + 5 * store.Ld, c50, c51, tail, store);
        Store(y + 6 * store.Ld, c60, c61, tail, store);
        Store(y + 7 * store.Ld, c70, c71, tail, store);
        Store(y + 8 * store.Ld, c80, c81, tail, store);
        Store(y + 9 * store.Ld, c90, c91, tail, store);
        Store(y + 10 * store.Ld, ca0, ca1, tail, store);
        Store(y + 11 * store.Ld, cb0, cb1, tail, store);
        if (TWidth.Pixels > 12) Store(y + 12 * store.Ld, cc0, cc1, tail, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector512<float> v0, Vector512<float> v1, in FusedTail tail, in Columns store)
    {
        if (store.Full)
        {
            tail.Apply<V512, Vector512<float>>(v0, 0).Store(row);
            tail.Apply<V512, Vector512<float>>(v1, 16).Store(row + 16);
            return;
        }
        Avx512F.MaskStore(row, store.Mask0, tail.Apply<V512, Vector512<float>>(v0, 0));
        Avx512F.MaskStore(row + 16, store.Mask1, tail.Apply<V512, Vector512<float>>(v1, 16));
    }

    /// <summary>Where a 32-channel block's tiles are stored: the output's row stride, and which of the 32 lanes are channels.</summary>
    private readonly struct Columns
    {
        public readonly int Ld;
        public readonly bool Full;
        public readonly Vector512<float> Mask0, Mask1;

        public Columns(int valid, int ld)
        {
            Ld = ld;
            Full = valid >= 32;
            var lane = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            Mask0 = Vector512.LessThan(lane, Vector512.Create((float)valid));
            Mask1 = Vector512.LessThan(lane, Vector512.Create((float)(valid - 16)));
        }
    }
}
