using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

// The gradient of the depthwise convolution, for training; tests check it against finite differences.
public static partial class Convolution
{
    /// <summary>
    /// Depthwise convolution (kernel [KH, KW, C, M]): dW[kh,kw,c,m] += Σ x[n, ih, iw, c]·dy[n, oh, ow, c·M+m],
    /// db += Σ dy, and dx[n, ih, iw, c] = Σ w[kh,kw,c,m]·dy[n, oh, ow, c·M+m] over the windows that read it.
    /// </summary>
    public static unsafe Tensor? DepthwiseConv2DBackward(Tensor input, Tensor kernel, Tensor outputGrad, ConvOptions options,
        Tensor weightGrad, Tensor? biasGrad, bool needInputGrad = true)
    {
        CheckBackwardArguments(input, kernel, outputGrad, options, weightGrad);
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        int kh = kernel.Shape[0], kw = kernel.Shape[1], mult = kernel.Shape[3], cout = c * mult;
        var g = options.Geometry(h, w, kh, kw);
        outputGrad.ExpectShape(new Shape(n, g.OutH, g.OutW, cout), "depthwise output gradient");
        weightGrad.ExpectShape(kernel.Shape, "depthwise weight gradient");
        if (biasGrad != null) Sgemm.AddColumnSums(outputGrad.Span, cout, biasGrad.Span);
        var dx = needInputGrad ? Tensor.Zeros(input.Shape) : null;
        fixed (float* xp = input.Span, kp = kernel.Span, dyp = outputGrad.Span, dwp = weightGrad.Span)
        fixed (float* dxp = dx == null ? default : dx.Span)
        {
            float* x = xp, k = kp, dy = dyp, dW = dwp, dX = dxp;
            // Weight gradients: one tap per task (each task owns its slice of dW).
            Engine.ParallelFor(kh * kw, (first, last) =>
            {
                for (int tap = first; tap < last; tap++)
                {
                    int i = tap / kw, j = tap % kw;
                    float* dwTap = dW + (long)tap * cout;
                    for (int b = 0; b < n; b++)
                        for (int oh = 0; oh < g.OutH; oh++)
                        {
                            int ih = g.InputRow(oh, i);
                            if (ih < 0 || ih >= h) continue;
                            for (int ow = 0; ow < g.OutW; ow++)
                            {
                                int iw = g.InputCol(ow, j);
                                if (iw < 0 || iw >= w) continue;
                                float* xs = x + (((long)b * h + ih) * w + iw) * c;
                                float* ds = dy + (((long)b * g.OutH + oh) * g.OutW + ow) * cout;
                                if (mult == 1)
                                {
                                    var target = new Span<float>(dwTap, c);
                                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(xs, c), new ReadOnlySpan<float>(ds, c), target, target);
                                }
                                else
                                {
                                    for (int co = 0; co < cout; co++) dwTap[co] += xs[co / mult] * ds[co];
                                }
                            }
                        }
                }
            });
            if (dx != null)
            {
                // Input gradients: one image per task.
                Engine.ParallelFor(n, (first, last) =>
                {
                    for (int b = first; b < last; b++)
                        for (int oh = 0; oh < g.OutH; oh++)
                            for (int ow = 0; ow < g.OutW; ow++)
                            {
                                float* ds = dy + (((long)b * g.OutH + oh) * g.OutW + ow) * cout;
                                for (int i = 0; i < kh; i++)
                                {
                                    int ih = g.InputRow(oh, i);
                                    if (ih < 0 || ih >= h) continue;
                                    for (int j = 0; j < kw; j++)
                                    {
                                        int iw = g.InputCol(ow, j);
                                        if (iw < 0 || iw >= w) continue;
                                        float* xd = dX + (((long)b * h + ih) * w + iw) * c;
                                        float* kt = k + (long)(i * kw + j) * cout;
                                        if (mult == 1)
                                        {
                                            var target = new Span<float>(xd, c);
                                            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(kt, c), new ReadOnlySpan<float>(ds, c), target, target);
                                        }
                                        else
                                        {
                                            for (int co = 0; co < cout; co++) xd[co / mult] += kt[co] * ds[co];
                                        }
                                    }
                                }
                            }
                });
            }
        }
        return dx;
    }
}
