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
            case SimdLevel.Avx512: Run<V512>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
            case SimdLevel.Avx2: Run<V256>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
            case SimdLevel.Vector128: Run<V128>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
            default: Run<V1>(x, batch, h, w, c, weights, multiplier, bias, g, activation, border, y); break;
        }
    }

    private static void Run<TV>(float* x, int batch, int h, int w, int c, float* weights, int multiplier, float* bias,
        ConvGeometry g, Activation activation, BorderMode border, float* y) where TV : struct, IFloatVector<TV>
    {
        int cout = c * multiplier;
        int rowLength = g.OutW * cout;
        bool rowPath = multiplier == 1 && g.StrideW == 1 && TV.Count > 1;
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
                                if (rowPath) RowPath<TV>(x, n, oh, h, w, c, weights, bias, geometry, border, patterns0, stride, period, tapPointers, yRow);
                                else PixelPath<TV>(x, n, oh, h, w, c, weights, multiplier, bias, geometry, border, yRow);
                                ElementwiseOps.Activate(new Span<float>(yRow, rowLength), activation);
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
    private static void RowPath<TV>(float* x, int n, int oh, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* patterns, int stride, int period, nint* tapPointers, float* yRow)
        where TV : struct, IFloatVector<TV>
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
            acc.Store(yRow + j);
            q += TV.Count;
            if (q >= period) q -= period;
        }
        // The vector tail inside the interior: one value at a time.
        for (; j < jHi; j++) yRow[j] = Single(x, n, oh, j / c, j % c, h, w, c, weights, 1, bias, g, border);
        // Border columns: per pixel, vectors along the channels, with border handling.
        for (int ow = 0; ow < owLo; ow++) Pixel<TV>(x, n, oh, ow, h, w, c, weights, bias, g, border, yRow + (long)ow * c);
        for (int ow = owHi; ow < g.OutW; ow++) Pixel<TV>(x, n, oh, ow, h, w, c, weights, bias, g, border, yRow + (long)ow * c);
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
    private static void PixelPath<TV>(float* x, int n, int oh, int h, int w, int c, float* weights, int multiplier, float* bias,
        in ConvGeometry g, BorderMode border, float* yRow) where TV : struct, IFloatVector<TV>
    {
        int cout = c * multiplier;
        for (int ow = 0; ow < g.OutW; ow++)
        {
            float* yPixel = yRow + (long)ow * cout;
            if (multiplier == 1)
            {
                Pixel<TV>(x, n, oh, ow, h, w, c, weights, bias, g, border, yPixel);
            }
            else
            {
                for (int co = 0; co < cout; co++) yPixel[co] = Single(x, n, oh, ow, co, h, w, c, weights, multiplier, bias, g, border);
            }
        }
    }

    /// <summary>All channels of one output pixel (multiplier 1).</summary>
    private static void Pixel<TV>(float* x, int n, int oh, int ow, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* yPixel) where TV : struct, IFloatVector<TV>
    {
        int ch = 0;
        for (; ch + TV.Count <= c; ch += TV.Count) Channels<TV>(x, n, oh, ow, ch, h, w, c, weights, bias, g, border, yPixel);
        for (; ch < c; ch++) Channels<V1>(x, n, oh, ow, ch, h, w, c, weights, bias, g, border, yPixel);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Channels<TV>(float* x, int n, int oh, int ow, int ch, int h, int w, int c, float* weights, float* bias,
        in ConvGeometry g, BorderMode border, float* yPixel) where TV : struct, IFloatVector<TV>
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
        acc.Store(yPixel + ch);
    }

    private static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0) (x, y) = (y, x % y);
        return a / x * b;
    }
}
