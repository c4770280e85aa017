namespace Shikaku.Kernels.Conv;

/// <summary>
/// Explicit patch matrices for the backward pass: im2col writes row m = (n, oh, ow), column
/// p = (kh, kw, ci) (zeros in the padding); col2im adds such a matrix back onto the image.
/// The forward pass never builds this matrix (it packs from the image directly).
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
                for (int ow = 0; ow < geo.OutW; ow++)
                {
                    float* dst = cols + ((long)n * ohw + oh * geo.OutW + ow) * k;
                    for (int kh = 0; kh < geo.KH; kh++)
                    {
                        int ih = geo.InputRow(oh, kh);
                        for (int kw = 0; kw < geo.KW; kw++, dst += c)
                        {
                            int iw = geo.InputCol(ow, kw);
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) new Span<float>(dst, c).Clear();
                            else new ReadOnlySpan<float>(x + (((long)n * h + ih) * w + iw) * c, c).CopyTo(new Span<float>(dst, c));
                        }
                    }
                }
            }
        });
    }

    /// <summary>dx (cleared first) += the patch gradients, each added where its tap came from.</summary>
    public static void Scatter(float* cols, int batch, int h, int w, int c, in ConvGeometry g, float* dx)
    {
        int k = g.KH * g.KW * c, ohw = g.OutH * g.OutW;
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
                        for (int kh = 0; kh < geo.KH; kh++)
                        {
                            int ih = geo.InputRow(oh, kh);
                            for (int kw = 0; kw < geo.KW; kw++, src += c)
                            {
                                int iw = geo.InputCol(ow, kw);
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                var target = new Span<float>(image + ((long)ih * w + iw) * c, c);
                                System.Numerics.Tensors.TensorPrimitives.Add(target, new ReadOnlySpan<float>(src, c), target);
                            }
                        }
                    }
            }
        });
    }
}
