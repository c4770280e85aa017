using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels.Conv;

/// <summary>
/// Explicit patch matrices for the backward pass: im2col writes row m = (n, oh, ow), column
/// p = (kh, kw, ci) (zeros in the padding); col2im adds such a matrix back onto the image.
/// The forward pass never builds this matrix (it packs from the image directly).
/// Without horizontal dilation a kernel row is KW*C contiguous values in both the image and the
/// patch, so whole kernel rows are copied (or added) at once when the window lies inside the image.
/// </summary>
internal static unsafe class Im2Col
{
    public static void Gather(float* x, int batch, int h, int w, int c, in ConvGeometry g, float* cols)
    {
        int k = g.KH * g.KW * c, ohw = g.OutH * g.OutW;
        var geo = g;
        Engine.ParallelFor(batch * g.OutH, (first, last) =>
        {
            for (int row = first; row < last; row++)
            {
                int n = row / geo.OutH, oh = row - n * geo.OutH;
                GatherRow(x + (long)n * h * w * c, h, w, c, geo, oh, cols + ((long)n * ohw + oh * geo.OutW) * k);
            }
        });
    }

    /// <summary>The patch rows of output row <paramref name="oh"/> of one image: OutW rows of KH*KW*C values.</summary>
    public static void GatherRow(float* image, int h, int w, int c, in ConvGeometry g, int oh, float* dst)
    {
        int rowLength = g.KW * c;
        bool rows = g.DilationW == 1;
        for (int ow = 0; ow < g.OutW; ow++)
        {
            int iw0 = g.InputCol(ow, 0);
            bool inside = rows && iw0 >= 0 && iw0 + g.KW <= w;
            for (int kh = 0; kh < g.KH; kh++, dst += rowLength)
            {
                int ih = g.InputRow(oh, kh);
                if (ih < 0 || ih >= h)
                {
                    new Span<float>(dst, rowLength).Clear();
                    continue;
                }
                float* src = image + (long)ih * w * c;
                if (inside)
                {
                    float* from = src + (long)iw0 * c;
                    if (rowLength <= 16) for (int i = 0; i < rowLength; i++) dst[i] = from[i]; // few channels: no call per row
                    else new ReadOnlySpan<float>(from, rowLength).CopyTo(new Span<float>(dst, rowLength));
                    continue;
                }
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int iw = g.InputCol(ow, kw);
                    float* d = dst + kw * c;
                    if (iw < 0 || iw >= w) for (int ci = 0; ci < c; ci++) d[ci] = 0f;
                    else for (int ci = 0; ci < c; ci++) d[ci] = src[(long)iw * c + ci];
                }
            }
        }
    }

    /// <summary>dx (cleared first) += the patch gradients, each added where its tap came from.</summary>
    public static void Scatter(float* cols, int batch, int h, int w, int c, in ConvGeometry g, float* dx)
    {
        int k = g.KH * g.KW * c, ohw = g.OutH * g.OutW, rowLength = g.KW * c;
        bool rows = g.DilationW == 1;
        var geo = g;
        // One image per task: patches of different images never overlap, so no two threads add to one value.
        Engine.ParallelFor(batch, (first, last) =>
        {
            for (int n = first; n < last; n++)
            {
                float* image = dx + (long)n * h * w * c;
                new Span<float>(image, h * w * c).Clear();
                for (int oh = 0; oh < geo.OutH; oh++)
                    for (int ow = 0; ow < geo.OutW; ow++)
                    {
                        float* src = cols + ((long)n * ohw + oh * geo.OutW + ow) * k;
                        int iw0 = geo.InputCol(ow, 0);
                        bool inside = rows && iw0 >= 0 && iw0 + geo.KW <= w;
                        for (int kh = 0; kh < geo.KH; kh++, src += rowLength)
                        {
                            int ih = geo.InputRow(oh, kh);
                            if (ih < 0 || ih >= h) continue;
                            float* dstRow = image + (long)ih * w * c;
                            if (inside)
                            {
                                var target = new Span<float>(dstRow + (long)iw0 * c, rowLength);
                                TensorPrimitives.Add(target, new ReadOnlySpan<float>(src, rowLength), target);
                                continue;
                            }
                            for (int kw = 0; kw < geo.KW; kw++)
                            {
                                int iw = geo.InputCol(ow, kw);
                                if (iw < 0 || iw >= w) continue;
                                float* s = src + kw * c, d = dstRow + (long)iw * c;
                                for (int ci = 0; ci < c; ci++) d[ci] += s[ci];
                            }
                        }
                    }
            }
        });
    }
}
