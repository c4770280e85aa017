using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace Shikaku.Kernels.Conv;

/// <summary>
/// Max and average pooling on NHWC, vectorised along the channels of each pixel, parallel over
/// output rows. Padding never takes part: a max is taken over the taps inside the image, an
/// average divides by their number (as TF does); a window that holds no input pixel gives 0.
/// </summary>
internal static unsafe class PoolKernel
{
    public static void Run(float* x, int batch, int h, int w, int c, in ConvGeometry g, bool max, float* y)
    {
        switch (Engine.Simd)
        {
            case SimdLevel.Avx512: Run<V512, Vector512<float>>(x, batch, h, w, c, g, max, y); break;
            case SimdLevel.Avx2: Run<V256, Vector256<float>>(x, batch, h, w, c, g, max, y); break;
            case SimdLevel.Vector128: Run<V128, Vector128<float>>(x, batch, h, w, c, g, max, y); break;
            default: Run<V1, float>(x, batch, h, w, c, g, max, y); break;
        }
    }

    private static void Run<TV, T>(float* x, int batch, int h, int w, int c, ConvGeometry g, bool max, float* y)
        where TV : struct, IFloatVector<T> where T : struct
    {
        Engine.ParallelFor(batch * g.OutH, (first, last) =>
        {
            for (int row = first; row < last; row++)
            {
                int n = row / g.OutH, oh = row - n * g.OutH;
                var (kh0, kh1) = g.RowTaps(oh);
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    var (kw0, kw1) = g.ColTaps(ow);
                    var window = new Window(x + (long)n * h * w * c, w, c, g, oh, ow, kh0, kh1, kw0, kw1);
                    float* yPixel = y + ((long)row * g.OutW + ow) * c;
                    int ch = 0;
                    if (max)
                    {
                        for (; ch + TV.Count <= c; ch += TV.Count) Max<TV, T>(window, ch, yPixel);
                        for (; ch < c; ch++) Max<V1, float>(window, ch, yPixel);
                    }
                    else
                    {
                        for (; ch + TV.Count <= c; ch += TV.Count) Average<TV, T>(window, ch, yPixel);
                        for (; ch < c; ch++) Average<V1, float>(window, ch, yPixel);
                    }
                }
            }
        });
    }

    /// <summary>The taps of one window that lie inside the image: rows kh0..kh1-1, columns kw0..kw1-1.</summary>
    private readonly struct Window(float* image, int w, int c, ConvGeometry g, int oh, int ow, int kh0, int kh1, int kw0, int kw1)
    {
        public readonly float* Image = image;
        public readonly int W = w, C = c, KH0 = kh0, KH1 = kh1, KW0 = kw0, KW1 = kw1;
        public readonly ConvGeometry G = g;
        public readonly int Oh = oh, Ow = ow;
        public int Count => (KH1 - KH0) * (KW1 - KW0);
        public float* Tap(int kh, int kw) => Image + ((long)G.InputRow(Oh, kh) * W + G.InputCol(Ow, kw)) * C;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Max<TV, T>(in Window win, int ch, float* yPixel) where TV : struct, IFloatVector<T> where T : struct
    {
        if (win.Count == 0)
        {
            TV.Store(TV.Splat(0f), yPixel + ch);
            return;
        }
        var acc = TV.Splat(float.NegativeInfinity);
        for (int kh = win.KH0; kh < win.KH1; kh++)
            for (int kw = win.KW0; kw < win.KW1; kw++)
                acc = TV.Max(acc, TV.Load(win.Tap(kh, kw) + ch));
        TV.Store(acc, yPixel + ch);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Average<TV, T>(in Window win, int ch, float* yPixel) where TV : struct, IFloatVector<T> where T : struct
    {
        var acc = TV.Splat(0f);
        for (int kh = win.KH0; kh < win.KH1; kh++)
            for (int kw = win.KW0; kw < win.KW1; kw++)
                acc = TV.Add(acc, TV.Load(win.Tap(kh, kw) + ch));
        int count = win.Count;
        var scale = TV.Splat(count == 0 ? 0f : 1f / count);
        TV.Store(TV.Fma(acc, scale, TV.Splat(0f)), yPixel + ch);
    }
}
