using System.Runtime.Intrinsics;
using System.Buffers;
using System.Runtime.CompilerServices;

namespace Shikaku.Kernels.Conv;

/// <summary>
/// Depthwise convolution on NHWC: output channel c*M + m is input channel c convolved with its own
/// window (M = channel multiplier); weights are [KH, KW, C, M] (Keras layout). Parallel over output rows.
/// <para>With unit horizontal stride and M = 1 (blurs, edges, most MobileNet layers) a row of the
/// output is a 1-D sum of shifted input rows times a weight pattern that repeats every C values,
/// so the vectors run along the whole row whatever C is (3 for RGB photos). Other cases run along
/// the channels of each pixel.</para>
/// </summary>
internal static unsafe class DepthwiseKernel
{
    public static void Run(float* x, int batch, int h, int w, int c, float* weights, int multiplier, float* bias,
        in ConvGeometry g, Activation activation, BorderMode border, float* y)
    {
        switch (Engine.Simd)
        {
            case SimdLevel.Avx512: Run<V512, Vector512<float>>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
            case SimdLevel.Avx2: Run<V256, Vector256<float>>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
            case SimdLevel.Vector128: Run<V128, Vector128<float>>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
            default: Run<V1, float>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
        }
    }

    private static void Run<TV, T>(float* x, int batch, int h, int w, int c, float* weights, int multiplier, float* bias,
        ConvGeometry g, Activation activation, BorderMode border, float* y) where TV : struct, IFloatVector<T> where T : struct
    {
        int cout = c * multiplier;
        int rowLength = g.OutW * cout;
        bool tilePath = multiplier == 1 && g.KH == 3 && g.KW == 3 && TV.Count > 1 && c % TV.Count == 0;
        bool rowPath = !tilePath && multiplier == 1 && g.StrideW == 1 && TV.Count > 1;
        int taps = g.KH * g.KW;
        // Row path: each tap's weights repeated along a period that is a multiple of both C and the vector width.
        int period = rowPath ? Lcm(c, TV.Count) : 0;
        int stride = period + TV.Count;
        float[]? patterns = rowPath ? ArrayPool<float>.Shared.Rent((taps + 1) * stride) : null;
        try
        {
            fixed (float* pat = patterns)
            {
                if (rowPath)
                {
                    for (int t = 0; t <= taps; t++)
                        for (int q = 0; q < stride; q++)
                            pat[t * stride + q] = t < taps ? weights[t * c + q % c] : bias == null ? 0f : bias[q % c];
                }
                float* patterns0 = pat;
                var geometry = g;
                Engine.ParallelFor(batch * g.OutH, (first, last) =>
                {
                    nint[] tapArray = ArrayPool<nint>.Shared.Rent(2 * taps);
                    try
                    {
                        fixed (nint* tapPointers = tapArray)
                        {
                            for (int row = first; row < last; row++)
                            {
                                int n = row / geometry.OutH, oh = row - n * geometry.OutH;
                                float* yRow = y + (long)row * rowLength;
                                if (tilePath) Tile3x3<TV, T>(x, n, oh, h, w, c, weights, bias, geometry, border, yRow);
                                else if (rowPath) RowPath<TV, T>(x, n, oh, h, w, c, weights, bias, geometry, border, patterns0, stride, period, tapPointers, yRow);
                                else PixelPath<TV, T>(x, n, oh, h, w, c, weights, multiplier, bias, geometry, border, yRow);
                                activation.Apply(new Span<float>(yRow, rowLength));
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<nint>.Shared.Return(tapArray);
                    }
                });
            }
        }
        finally
        {
            if (patterns != null) ArrayPool<float>.Shared.Return(patterns);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPath<TV, T>(float* x, int n, int oh, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* patterns, int stride, int period, nint* tapPointers, float* yRow)
        where TV : struct, IFloatVector<T> where T : struct
    {
        // Output columns whose whole window lies inside the image horizontally.
        int owLo = Math.Min(g.OutW, g.PadLeft);
        int owHi = Math.Clamp(w + g.PadLeft - (g.KW - 1) * g.DilationW, owLo, g.OutW);
        int active = 0;
        for (int kh = 0; kh < g.KH; kh++)
        {
            int ih = Border.Map(g.InputRow(oh, kh), h, border);
            if (ih < 0) continue;
            float* inRow = x + ((long)n * h + ih) * w * c;
            for (int kw = 0; kw < g.KW; kw++)
            {
                // Input value for flat output index j is inRow[j + (kw*dw - padLeft) * c].
                tapPointers[2 * active] = (nint)(inRow + (long)(kw * g.DilationW - g.PadLeft) * c);
                tapPointers[2 * active + 1] = (nint)(patterns + (kh * g.KW + kw) * stride);
                active++;
            }
        }
        float* biasPattern = patterns + g.KH * g.KW * stride;
        int jLo = owLo * c, jHi = owHi * c;
        int j = jLo, q = jLo % period;
        for (; j + TV.Count <= jHi; j += TV.Count)
        {
            var acc = TV.Load(biasPattern + q);
            for (int t = 0; t < active; t++)
                acc = TV.Fma(TV.Load((float*)tapPointers[2 * t] + j), TV.Load((float*)tapPointers[2 * t + 1] + q), acc);
            TV.Store(acc, yRow + j);
            q += TV.Count;
            if (q >= period) q -= period;
        }
        // The vector tail inside the interior: one value at a time.
        for (; j < jHi; j++) yRow[j] = Single(x, n, oh, j / c, j % c, h, w, c, weights, 1, bias, g, border);
        // Border columns: per pixel, vectors along the channels, with border handling.
        for (int ow = 0; ow < owLo; ow++) Pixel<TV, T>(x, n, oh, ow, h, w, c, weights, bias, g, border, yRow + (long)ow * c);
        for (int ow = owHi; ow < g.OutW; ow++) Pixel<TV, T>(x, n, oh, ow, h, w, c, weights, bias, g, border, yRow + (long)ow * c);
    }

    /// <summary>
    /// 3 x 3 windows with C a multiple of the vector width (MobileNet's depthwise layers, any stride and
    /// dilation): four output pixels at a time, and for each vector of their channels the 36 multiply-adds
    /// run in registers (at stride 1, on 18 input vectors and 9 weight vectors). Blocks of four pixels
    /// walk along the row and the channels inside a block, so the memory is read in order.
    /// Measured on face-api.js's SSD MobileNet layers: 1.1-1.9x the row path it replaced.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile3x3<TV, T>(float* x, int n, int oh, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* yRow) where TV : struct, IFloatVector<T> where T : struct
    {
        // Output columns whose three taps all lie inside the image.
        int owLo = Math.Min(g.OutW, (g.PadLeft + g.StrideW - 1) / g.StrideW);
        int lastStart = w - 1 + g.PadLeft - 2 * g.DilationW;
        int owHi = Math.Clamp(lastStart < 0 ? 0 : lastStart / g.StrideW + 1, owLo, g.OutW);
        float* image = x + (long)n * h * w * c;
        int ih0 = Border.Map(g.InputRow(oh, 0), h, border), ih1 = Border.Map(g.InputRow(oh, 1), h, border), ih2 = Border.Map(g.InputRow(oh, 2), h, border);
        float* r0 = image + (long)Math.Max(ih0, 0) * w * c, r1 = image + (long)Math.Max(ih1, 0) * w * c, r2 = image + (long)Math.Max(ih2, 0) * w * c;
        int ps = g.StrideW * c, pd = g.DilationW * c;
        var zero = TV.Splat(0f);
        float* w0 = weights, w1 = weights + 3 * c, w2 = weights + 6 * c;
        int ow = owLo;
        for (; ow + 4 <= owHi; ow += 4)
        {
            long off = (long)(ow * g.StrideW - g.PadLeft) * c;
            float* yp = yRow + (long)ow * c;
            for (int cv = 0; cv < c; cv += TV.Count)
            {
                var b = bias == null ? zero : TV.Load(bias + cv);
                T a0 = b, a1 = b, a2 = b, a3 = b;
                if (ih0 >= 0) KernelRow<TV, T>(r0 + off + cv, ps, pd, w0 + cv, c, ref a0, ref a1, ref a2, ref a3);
                if (ih1 >= 0) KernelRow<TV, T>(r1 + off + cv, ps, pd, w1 + cv, c, ref a0, ref a1, ref a2, ref a3);
                if (ih2 >= 0) KernelRow<TV, T>(r2 + off + cv, ps, pd, w2 + cv, c, ref a0, ref a1, ref a2, ref a3);
                TV.Store(a0, yp + cv);
                TV.Store(a1, yp + c + cv);
                TV.Store(a2, yp + 2 * c + cv);
                TV.Store(a3, yp + 3 * c + cv);
            }
        }
        // The interior pixels after the last block of four, then the border columns: per pixel, with border handling.
        for (; ow < owHi; ow++) Pixel<TV, T>(x, n, oh, ow, h, w, c, weights, bias, g, border, yRow + (long)ow * c);
        for (int col = 0; col < owLo; col++) Pixel<TV, T>(x, n, oh, col, h, w, c, weights, bias, g, border, yRow + (long)col * c);
        for (int col = owHi; col < g.OutW; col++) Pixel<TV, T>(x, n, oh, col, h, w, c, weights, bias, g, border, yRow + (long)col * c);
    }

    /// <summary>
    /// One kernel row's three taps (weights <paramref name="wr"/>, C apart) for four output pixels
    /// <paramref name="ps"/> floats apart in the input, taps <paramref name="pd"/> apart. When the two are
    /// equal (stride = dilation, the usual stride 1) six input vectors serve the twelve multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KernelRow<TV, T>(float* r, int ps, int pd, float* wr, int c, ref T a0, ref T a1, ref T a2, ref T a3)
        where TV : struct, IFloatVector<T> where T : struct
    {
        T wa = TV.Load(wr), wb = TV.Load(wr + c), wc = TV.Load(wr + 2 * c);
        if (ps == pd)
        {
            var x0 = TV.Load(r);
            var x1 = TV.Load(r + pd);
            var x2 = TV.Load(r + 2 * pd);
            a0 = TV.Fma(x0, wa, a0); a0 = TV.Fma(x1, wb, a0); a0 = TV.Fma(x2, wc, a0);
            var x3 = TV.Load(r + 3 * pd);
            a1 = TV.Fma(x1, wa, a1); a1 = TV.Fma(x2, wb, a1); a1 = TV.Fma(x3, wc, a1);
            var x4 = TV.Load(r + 4 * pd);
            a2 = TV.Fma(x2, wa, a2); a2 = TV.Fma(x3, wb, a2); a2 = TV.Fma(x4, wc, a2);
            var x5 = TV.Load(r + 5 * pd);
            a3 = TV.Fma(x3, wa, a3); a3 = TV.Fma(x4, wb, a3); a3 = TV.Fma(x5, wc, a3);
            return;
        }
        a0 = TV.Fma(TV.Load(r), wa, a0); a0 = TV.Fma(TV.Load(r + pd), wb, a0); a0 = TV.Fma(TV.Load(r + 2 * pd), wc, a0);
        r += ps;
        a1 = TV.Fma(TV.Load(r), wa, a1); a1 = TV.Fma(TV.Load(r + pd), wb, a1); a1 = TV.Fma(TV.Load(r + 2 * pd), wc, a1);
        r += ps;
        a2 = TV.Fma(TV.Load(r), wa, a2); a2 = TV.Fma(TV.Load(r + pd), wb, a2); a2 = TV.Fma(TV.Load(r + 2 * pd), wc, a2);
        r += ps;
        a3 = TV.Fma(TV.Load(r), wa, a3); a3 = TV.Fma(TV.Load(r + pd), wb, a3); a3 = TV.Fma(TV.Load(r + 2 * pd), wc, a3);
    }

    /// <summary>One output value, output channel <paramref name="co"/> (input channel co / multiplier), with every bounds check.</summary>
    private static float Single(float* x, int n, int oh, int ow, int co, int h, int w, int c, float* weights, int multiplier, float* bias,
        in ConvGeometry g, BorderMode border)
    {
        int ch = co / multiplier, cout = c * multiplier;
        float sum = bias == null ? 0f : bias[co];
        for (int kh = 0; kh < g.KH; kh++)
        {
            int ih = Border.Map(g.InputRow(oh, kh), h, border);
            if (ih < 0) continue;
            for (int kw = 0; kw < g.KW; kw++)
            {
                int iw = Border.Map(g.InputCol(ow, kw), w, border);
                if (iw < 0) continue;
                sum = MathF.FusedMultiplyAdd(x[(((long)n * h + ih) * w + iw) * c + ch], weights[(kh * g.KW + kw) * cout + co], sum);
            }
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PixelPath<TV, T>(float* x, int n, int oh, int h, int w, int c, float* weights, int multiplier, float* bias,
        in ConvGeometry g, BorderMode border, float* yRow) where TV : struct, IFloatVector<T> where T : struct
    {
        int cout = c * multiplier;
        for (int ow = 0; ow < g.OutW; ow++)
        {
            float* yPixel = yRow + (long)ow * cout;
            if (multiplier == 1)
            {
                Pixel<TV, T>(x, n, oh, ow, h, w, c, weights, bias, g, border, yPixel);
            }
            else
            {
                for (int co = 0; co < cout; co++) yPixel[co] = Single(x, n, oh, ow, co, h, w, c, weights, multiplier, bias, g, border);
            }
        }
    }

    /// <summary>All channels of one output pixel (multiplier 1).</summary>
    private static void Pixel<TV, T>(float* x, int n, int oh, int ow, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* yPixel) where TV : struct, IFloatVector<T> where T : struct
    {
        int ch = 0;
        for (; ch + TV.Count <= c; ch += TV.Count) Channels<TV, T>(x, n, oh, ow, ch, h, w, c, weights, bias, g, border, yPixel);
        for (; ch < c; ch++) Channels<V1, float>(x, n, oh, ow, ch, h, w, c, weights, bias, g, border, yPixel);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Channels<TV, T>(float* x, int n, int oh, int ow, int ch, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* yPixel) where TV : struct, IFloatVector<T> where T : struct
    {
        var acc = bias == null ? TV.Splat(0f) : TV.Load(bias + ch);
        for (int kh = 0; kh < g.KH; kh++)
        {
            int ih = Border.Map(g.InputRow(oh, kh), h, border);
            if (ih < 0) continue;
            float* inRow = x + ((long)n * h + ih) * w * c + ch;
            float* wRow = weights + kh * g.KW * c + ch;
            for (int kw = 0; kw < g.KW; kw++)
            {
                int iw = Border.Map(g.InputCol(ow, kw), w, border);
                if (iw < 0) continue;
                acc = TV.Fma(TV.Load(inRow + (long)iw * c), TV.Load(wRow + kw * c), acc);
            }
        }
        TV.Store(acc, yPixel + ch);
    }

    private static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return a / x * b;
    }
}
