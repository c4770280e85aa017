using System.Runtime.InteropServices;
using Shikaku.Kernels.Conv;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

// Gradients of the convolutions, for training. Each takes the forward inputs and the gradient of the loss
// with respect to the forward output, and returns (or accumulates) the gradients of the inputs and weights.
// Derivations are in the comments; tests check them against finite differences.
public static partial class Convolution
{
    /// <summary>
    /// Convolution (groups = 1): with P the patch matrix of x (M x K) and y = P W + b:
    /// dW = Pᵀ dy, db = column sums of dy, dP = dy Wᵀ and dx = col2im(dP). With 32k output channels on
    /// AVX-512, dW is summed straight from the image (no P) and, for stride 1, dx runs as a convolution of
    /// dy with the flipped kernel; elsewhere the GEMM forms above.
    /// Gradients are added to <paramref name="weightGrad"/> and <paramref name="biasGrad"/>;
    /// dx is returned unless <paramref name="needInputGrad"/> is false (a first layer).
    /// </summary>
    public static unsafe Tensor? Conv2DBackward(Tensor input, Tensor kernel, Tensor outputGrad, ConvOptions options,
        Tensor weightGrad, Tensor? biasGrad, bool needInputGrad = true)
    {
        CheckBackwardArguments(input, kernel, outputGrad, options, weightGrad);
        if (options.Groups != 1) throw new NotSupportedException("Conv2D backward supports groups = 1; use DepthwiseConv2D for depthwise layers.");
        var outShape = Convolution.OutputShape(input.Shape, kernel.Shape, options);
        outputGrad.ExpectShape(outShape, "convolution output gradient");
        weightGrad.ExpectShape(kernel.Shape, "convolution weight gradient");
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        int cout = kernel.Shape[3];
        var g = options.Geometry(h, w, kernel.Shape[0], kernel.Shape[1]);
        int m = n * g.OutH * g.OutW, k = g.KH * g.KW * c;
        if (biasGrad != null) Sgemm.AddColumnSums(outputGrad.Span, cout, biasGrad.Span);
        if (DirectWeightGradient.Applies(cout))
        {
            fixed (float* x = input.Span, dy = outputGrad.Span, dw = weightGrad.Span)
                DirectWeightGradient.Run(x, n, h, w, c, dy, cout, g, dw);
        }
        else
        {
            using var patches = Tensor.Uninitialized(new Shape(m, k));
            fixed (float* x = input.Span, p = patches.Span)
                Im2Col.Gather(x, n, h, w, c, g, p);
            WeightGradient(patches, outputGrad, m, k, cout, weightGrad);
        }
        return needInputGrad ? InputGradient(input.Shape, kernel, outputGrad, g) : null;
    }

    /// <summary>
    /// dx of a convolution (groups = 1) from dy and the kernel alone: the transposed convolution, which is
    /// TF's Conv2DBackpropInput (a "deconvolution" that upsamples dy to <paramref name="inputShape"/>). dy must have
    /// the shape the forward convolution of an <paramref name="inputShape"/> input gives; the activation is ignored.
    /// </summary>
    /// <example><code>using var up = Convolution.Conv2DInputGradient(new Shape(1, 64, 64, 8), kernel, dy, new ConvOptions { Stride = 2, Padding = Padding.Same });</code></example>
    /// <exception cref="ArgumentException">The shapes do not belong to one convolution.</exception>
    public static Tensor Conv2DInputGradient(Shape inputShape, Tensor kernel, Tensor outputGrad, ConvOptions options)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Groups != 1) throw new NotSupportedException("The convolution input gradient supports groups = 1; use DepthwiseConv2DBackward for depthwise layers.");
        options = options with { Activation = Activation.Linear };
        outputGrad.ExpectShape(Convolution.OutputShape(inputShape, kernel.Shape, options), "convolution output gradient");
        return InputGradient(inputShape, kernel, outputGrad, options.Geometry(inputShape[1], inputShape[2], kernel.Shape[0], kernel.Shape[1]));
    }

    // dP = dy Wᵀ (M x K), then each patch row scattered back where its taps came from; or, where it applies, one
    // convolution of dy with the flipped kernel.
    private static unsafe Tensor InputGradient(Shape inputShape, Tensor kernel, Tensor outputGrad, in ConvGeometry g)
    {
        int n = inputShape[0], h = inputShape[1], w = inputShape[2], c = inputShape[3], cout = kernel.Shape[3];
        if (InputGradientByConvolution(outputGrad, kernel, g, c, cout) is { } direct) return direct;
        int m = n * g.OutH * g.OutW, k = g.KH * g.KW * c;
        var dx = Tensor.Uninitialized(inputShape);
        if (dx.Length == 0) return dx;
        using var cols = Tensor.Uninitialized(new Shape(m, k));
        Sgemm.Multiply(false, true, m, k, cout, 1f, outputGrad.Span, cout, kernel.Span, cout, 0f, cols.Span, k);
        fixed (float* p = cols.Span, d = dx.Span)
            Im2Col.Scatter(p, n, h, w, c, g, d);
        return dx;
    }

    private static void CheckBackwardArguments(Tensor input, Tensor kernel, Tensor outputGrad, ConvOptions options, Tensor weightGrad)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weightGrad);
    }

    /// <summary>
    /// For stride 1 and no dilation, dx is itself a convolution: dy padded by (KH-1-top, KH-1-bottom,
    /// KW-1-left, KW-1-right) with the kernel flipped in space and its channels swapped,
    /// W'[kh, kw, co, ci] = W[KH-1-kh, KW-1-kw, ci, co]. When the direct kernel takes that convolution it
    /// replaces dP = dy Wᵀ and the scatter; otherwise null.
    /// </summary>
    private static Tensor? InputGradientByConvolution(Tensor outputGrad, Tensor kernel, in ConvGeometry g, int c, int cout)
    {
        if (InputGradientConvolution(g, c, cout, out _) is not { } options) return null;
        using var flipped = Flipped(kernel, g, c, cout);
        return Convolution.Conv2D(outputGrad, flipped, null, options);
    }

    /// <summary>
    /// The padding of dy that makes dx a convolution of it (see <see cref="InputGradientByConvolution"/>), and that
    /// convolution's geometry; null when the convolution is not stride 1 without dilation, a padding would be
    /// negative, or the direct kernel does not take it.
    /// </summary>
    private static ConvOptions? InputGradientConvolution(in ConvGeometry g, int c, int cout, out ConvGeometry full)
    {
        full = default;
        if (g.StrideH != 1 || g.StrideW != 1 || g.DilationH != 1 || g.DilationW != 1) return null;
        int top = g.KH - 1 - g.PadTop, bottom = g.KH - 1 - g.PadBottom, left = g.KW - 1 - g.PadLeft, right = g.KW - 1 - g.PadRight;
        if (top < 0 || bottom < 0 || left < 0 || right < 0) return null;
        var options = new ConvOptions { Padding = Padding.Explicit(top, bottom, left, right) };
        full = options.Geometry(g.OutH, g.OutW, g.KH, g.KW);
        return full.OutH == g.InH && full.OutW == g.InW && DirectConv.Applies(full, 1, cout, c) ? options : null;
    }

    /// <summary>The kernel of dx as a convolution of dy: W'[kh, kw, co, ci] = W[KH-1-kh, KW-1-kw, ci, co].</summary>
    private static Tensor Flipped(Tensor kernel, in ConvGeometry g, int c, int cout)
    {
        var flipped = Tensor.Uninitialized(new Shape(g.KH, g.KW, cout, c));
        var w = kernel.Span;
        var f = flipped.Span;
        for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
                for (int ci = 0; ci < c; ci++)
                    for (int co = 0; co < cout; co++)
                        f[((kh * g.KW + kw) * cout + co) * c + ci] = w[(((g.KH - 1 - kh) * g.KW + (g.KW - 1 - kw)) * c + ci) * cout + co];
        return flipped;
    }

    /// <summary>
    /// The backward pass of <see cref="Conv2DMaxPool2x2"/> with a ReLU, from the pooled output, the
    /// recorded maximum taps and the pooled gradient: the convolution's output gradient (each pooled gradient at
    /// its window's maximum tap when that maximum is positive, 0 elsewhere) is built one image at a time in a
    /// thread's cache and used there at once for dW, db and dx, so it never exists for the whole batch.
    /// Same values as <see cref="Pooling.MaxPool2x2BackwardFromArgmax"/> (through the ReLU) followed by <see cref="Conv2DBackward"/>.
    /// </summary>
    public static unsafe Tensor? Conv2DReluMaxPool2x2Backward(Tensor input, Tensor kernel, Tensor pooled, ReadOnlySpan<byte> argmax, Tensor pooledGrad,
        ConvOptions options, Tensor weightGrad, Tensor? biasGrad, bool needInputGrad = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weightGrad);
        var convShape = Convolution.OutputShape(input.Shape, kernel.Shape, options);
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3], cout = kernel.Shape[3];
        var g = options.Geometry(h, w, kernel.Shape[0], kernel.Shape[1]);
        ConvGeometry full = default;
        var dyPadding = options.Groups == 1 && options.Border == BorderMode.Zero && DirectWeightGradient.Applies(cout)
            ? InputGradientConvolution(g, c, cout, out full) : null;
        if (dyPadding == null)
        {
            using var dy = Pooling.MaxPool2x2BackwardFromArgmax(convShape, pooled, argmax, pooledGrad, throughRelu: true);
            return Conv2DBackward(input, kernel, dy, options with { Activation = Kernels.Activation.Linear }, weightGrad, biasGrad, needInputGrad);
        }
        var pooledShape = new Shape(n, g.OutH / 2, g.OutW / 2, cout);
        pooled.ExpectShape(pooledShape, "max-pool output");
        pooledGrad.ExpectShape(pooledShape, "max-pool output gradient");
        weightGrad.ExpectShape(kernel.Shape, "convolution weight gradient");
        if (argmax.Length < pooledShape.Length)
            throw new ArgumentException($"The argmax record holds {argmax.Length} bytes; the pooled output {pooledShape} needs {pooledShape.Length}.", nameof(argmax));
        using var flipped = needInputGrad ? Flipped(kernel, g, c, cout) : null;
        var dx = needInputGrad ? Tensor.Uninitialized(input.Shape) : null;
        int top = dyPadding.Padding.Top, left = dyPadding.Padding.Left;
        int threads = Math.Min(Engine.Threads, n), hp = g.OutH + top + dyPadding.Padding.Bottom, wp = g.OutW + left + dyPadding.Padding.Right;
        var sums = new DirectWeightGradient.Accumulator?[threads];
        var biasSums = new float[threads * cout];
        try
        {
            fixed (float* xp = input.Span, yp = pooled.Span, gp = pooledGrad.Span, fp = flipped == null ? default : flipped.Span, dxp = dx == null ? default : dx.Span)
            fixed (byte* ap = argmax)
            {
                float* x = xp, y = yp, dyPooled = gp, kernelFlipped = fp, dX = dxp;
                byte* taps = ap;
                Engine.ParallelFor(threads, (first, last) =>
                {
                    for (int t = first; t < last; t++)
                    {
                        var sum = sums[t] = new DirectWeightGradient.Accumulator(h, w, c, cout, g);
                        float* padded = (float*)NativeMemory.AlignedAlloc((nuint)((long)hp * wp * cout * sizeof(float)), 64);
                        try
                        {
                            new Span<float>(padded, hp * wp * cout).Clear();
                            float* inside = padded + ((long)top * wp + left) * cout;
                            int b0 = (int)((long)n * t / threads), b1 = (int)((long)n * (t + 1) / threads);
                            for (int b = b0; b < b1; b++)
                            {
                                long at = (long)b * pooledShape[1] * pooledShape[2] * cout;
                                fixed (float* bias = &biasSums[t * cout])
                                    Pooling.ExpandPooledGradient(y + at, dyPooled + at, taps + at, pooledShape[1], pooledShape[2], cout, inside, (long)wp * cout, throughRelu: true, bias);
                                sum.AddImage(x + (long)b * h * w * c, inside, (long)wp * cout);
                                if (dX == null) continue;
                                for (int r = 0; r < h; r++)
                                    DirectConv.Row(padded + (long)r * wp * cout, wp, cout, kernelFlipped, c, null, full, Kernels.Activation.Linear, Gemm.FusedTail.Op.None, dX + ((long)b * h + r) * w * c);
                            }
                        }
                        finally
                        {
                            NativeMemory.AlignedFree(padded);
                        }
                    }
                });
            }
            fixed (float* dw = weightGrad.Span)
                foreach (var sum in sums) sum!.AddTo(dw);
            if (biasGrad != null)
                for (int t = 0; t < threads; t++)
                    TensorPrimitives.Add(biasGrad.Span, biasSums.AsSpan(t * cout, cout), biasGrad.Span);
            return dx;
        }
        catch
        {
            dx?.Dispose();
            throw;
        }
        finally
        {
            foreach (var sum in sums) sum?.Dispose();
        }
    }

    /// <summary>
    /// dW += Pᵀ dy (K x Cout) for a patch matrix P (M x K) with M much larger than K and Cout. The sum
    /// over M is split between threads, each multiplying its own rows of P and dy into a private
    /// K x Cout block that is then added: no thread packs the other's operands (a split of dW's rows
    /// would have every thread pack all of dy).
    /// </summary>
    private static unsafe void WeightGradient(Tensor cols, Tensor outputGrad, int m, int k, int cout, Tensor weightGrad)
    {
        int threads = Engine.Threads;
        if (threads <= 1 || m < 64 * threads || (long)m * k * cout < 1L << 22)
        {
            Sgemm.Multiply(true, false, k, cout, m, 1f, cols.Span, k, outputGrad.Span, cout, 1f, weightGrad.Span, cout);
            return;
        }
        var partials = new Tensor[threads];
        fixed (float* p = cols.Span, dy = outputGrad.Span)
        {
            float* pp = p, pdy = dy;
            Engine.ParallelFor(threads, (first, last) =>
            {
                for (int t = first; t < last; t++)
                {
                    int r0 = (int)((long)m * t / threads), r1 = (int)((long)m * (t + 1) / threads);
                    var partial = partials[t] = Tensor.Uninitialized(new Shape(k, cout));
                    fixed (float* c = partial.Span)
                        Gemm.GemmDriver.Run(new Gemm.DenseA(pp + (long)r0 * k, k, transposed: true), pdy + (long)r0 * cout, cout, false,
                            c, cout, k, cout, r1 - r0, 1f, 0f, default, singleThread: true);
                }
            });
        }
        foreach (var partial in partials)
            using (partial)
                TensorPrimitives.Add(weightGrad.Span, partial.Span, weightGrad.Span);
    }

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
                                var (rows, cols) = (g.RowTaps(oh), g.ColTaps(ow));
                                for (int i = rows.First; i < rows.End; i++)
                                {
                                    for (int j = cols.First; j < cols.End; j++)
                                    {
                                        float* xd = dX + (((long)b * h + g.InputRow(oh, i)) * w + g.InputCol(ow, j)) * c;
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
