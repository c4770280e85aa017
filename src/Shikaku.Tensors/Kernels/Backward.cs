using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Shikaku.Kernels.Conv;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

/// <summary>
/// Gradients of the forward kernels, for training. Each takes the forward inputs and the gradient
/// of the loss with respect to the forward output, and returns (or accumulates) the gradients of
/// the inputs and weights. Derivations are in the comments; tests check them against finite
/// differences.
/// </summary>
public static class Backward
{
    /// <summary>
    /// Convolution (groups = 1): with P the patch matrix of x (M x K) and y = P W + b:
    /// dW = Pᵀ dy, db = column sums of dy, dP = dy Wᵀ and dx = col2im(dP). With 32k output channels on
    /// AVX-512, dW is summed straight from the image (no P) and, for stride 1, dx runs as a convolution of
    /// dy with the flipped kernel; elsewhere the GEMM forms above.
    /// Gradients are added to <paramref name="weightGrad"/> and <paramref name="biasGrad"/>;
    /// dx is returned unless <paramref name="needInputGrad"/> is false (a first layer).
    /// </summary>
    public static unsafe Tensor? Conv2D(Tensor input, Tensor kernel, Tensor outputGrad, ConvOptions options,
        Tensor weightGrad, Tensor? biasGrad, bool needInputGrad = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weightGrad);
        if (options.Groups != 1) throw new NotSupportedException("Conv2D backward supports groups = 1; use DepthwiseConv2D for depthwise layers.");
        var outShape = Convolution.OutputShape(input.Shape, kernel.Shape, options);
        outputGrad.ExpectShape(outShape, "convolution output gradient");
        weightGrad.ExpectShape(kernel.Shape, "convolution weight gradient");
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        int cout = kernel.Shape[3];
        var g = options.Geometry(h, w, kernel.Shape[0], kernel.Shape[1]);
        int m = n * g.OutH * g.OutW, k = g.KH * g.KW * c;
        if (biasGrad != null) AddColumnSums(outputGrad.Span, cout, biasGrad.Span);
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
        if (!needInputGrad) return null;
        if (InputGradientByConvolution(outputGrad, kernel, g, c, cout) is { } direct) return direct;
        using var cols = Tensor.Uninitialized(new Shape(m, k));
        // dP = dy Wᵀ  (M x K), then scatter back.
        Sgemm.Multiply(false, true, m, k, cout, 1f, outputGrad.Span, cout, kernel.Span, cout, 0f, cols.Span, k);
        var dx = Tensor.Uninitialized(input.Shape);
        fixed (float* p = cols.Span, d = dx.Span)
            Im2Col.Scatter(p, n, h, w, c, g, d);
        return dx;
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
    /// The backward pass of <see cref="Convolution.Conv2DMaxPool2x2"/> with a ReLU, from the pooled output, the
    /// recorded maximum taps and the pooled gradient: the convolution's output gradient (each pooled gradient at
    /// its window's maximum tap when that maximum is positive, 0 elsewhere) is built one image at a time in a
    /// thread's cache and used there at once for dW, db and dx, so it never exists for the whole batch.
    /// Same values as <see cref="MaxPool2x2FromArgmax"/> (through the ReLU) followed by <see cref="Conv2D"/>.
    /// </summary>
    public static unsafe Tensor? Conv2DReluMaxPool2x2(Tensor input, Tensor kernel, Tensor pooled, ReadOnlySpan<byte> argmax, Tensor pooledGrad,
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
            using var dy = MaxPool2x2FromArgmax(convShape, pooled, argmax, pooledGrad, throughRelu: true);
            return Conv2D(input, kernel, dy, options with { Activation = Kernels.Activation.Linear }, weightGrad, biasGrad, needInputGrad);
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
                                    ExpandPooledGradient(y + at, dyPooled + at, taps + at, pooledShape[1], pooledShape[2], cout, inside, (long)wp * cout, throughRelu: true, bias);
                                sum.AddImage(x + (long)b * h * w * c, inside, (long)wp * cout);
                                if (dX == null) continue;
                                for (int r = 0; r < h; r++)
                                    DirectConv.Row(padded + (long)r * wp * cout, wp, cout, kernelFlipped, c, null, full, Kernels.Activation.Linear, dX + ((long)b * h + r) * w * c);
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
    /// One image's 2x2 max-pool input gradient from its pooled gradient: each window's four taps get the pooled
    /// gradient at the maximum tap (with <paramref name="throughRelu"/>, only where the maximum is positive) and 0
    /// elsewhere; rows of <paramref name="dy"/> are <paramref name="rowStride"/> floats apart. The gradients that
    /// pass are added to <paramref name="columnSums"/> (C floats) when it is given (a bias gradient).
    /// </summary>
    private static unsafe void ExpandPooledGradient(float* pooled, float* grad, byte* taps, int ph, int pw, int c, float* dy, long rowStride,
        bool throughRelu, float* columnSums)
    {
        bool vectors = Engine.Simd == SimdLevel.Avx512 && c % 16 == 0;
        for (int i = 0; i < ph; i++)
        {
            float* top = dy + 2 * i * rowStride, bottom = top + rowStride;
            for (int j = 0; j < pw; j++)
            {
                long at = ((long)i * pw + j) * c;
                float* t0 = top + (long)2 * j * c, t1 = t0 + c, t2 = bottom + (long)2 * j * c, t3 = t2 + c;
                int ch = 0;
                if (vectors)
                    for (; ch < c; ch += 16)
                    {
                        var d = Vector512.Load(grad + at + ch);
                        if (throughRelu) d = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(pooled + at + ch), Vector512<float>.Zero), d, Vector512<float>.Zero);
                        if (columnSums != null) (Vector512.Load(columnSums + ch) + d).Store(columnSums + ch);
                        var tap = System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector128.Load(taps + at + ch));
                        Vector512.ConditionalSelect(Vector512.Equals(tap, Vector512<int>.Zero).AsSingle(), d, Vector512<float>.Zero).Store(t0 + ch);
                        Vector512.ConditionalSelect(Vector512.Equals(tap, Vector512<int>.One).AsSingle(), d, Vector512<float>.Zero).Store(t1 + ch);
                        Vector512.ConditionalSelect(Vector512.Equals(tap, Vector512.Create(2)).AsSingle(), d, Vector512<float>.Zero).Store(t2 + ch);
                        Vector512.ConditionalSelect(Vector512.Equals(tap, Vector512.Create(3)).AsSingle(), d, Vector512<float>.Zero).Store(t3 + ch);
                    }
                for (; ch < c; ch++)
                {
                    float d = throughRelu && !(pooled[at + ch] > 0) ? 0f : grad[at + ch];
                    if (columnSums != null) columnSums[ch] += d;
                    int tap = taps[at + ch];
                    t0[ch] = tap == 0 ? d : 0f;
                    t1[ch] = tap == 1 ? d : 0f;
                    t2[ch] = tap == 2 ? d : 0f;
                    t3[ch] = tap == 3 ? d : 0f;
                }
            }
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
    public static unsafe Tensor? DepthwiseConv2D(Tensor input, Tensor kernel, Tensor outputGrad, ConvOptions options,
        Tensor weightGrad, Tensor? biasGrad, bool needInputGrad = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(weightGrad);
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        int kh = kernel.Shape[0], kw = kernel.Shape[1], mult = kernel.Shape[3], cout = c * mult;
        var g = options.Geometry(h, w, kh, kw);
        outputGrad.ExpectShape(new Shape(n, g.OutH, g.OutW, cout), "depthwise output gradient");
        weightGrad.ExpectShape(kernel.Shape, "depthwise weight gradient");
        if (biasGrad != null) AddColumnSums(outputGrad.Span, cout, biasGrad.Span);
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

    /// <summary>
    /// sums[j] += Σ_i x[i, j] for a row-major matrix of the given width. Large matrices are split into row
    /// blocks summed by the threads into partial sums, which are then added in block order.
    /// </summary>
    public static unsafe void AddColumnSums(ReadOnlySpan<float> x, int width, Span<float> sums)
    {
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Width must be positive, got {width}.");
        int rows = x.Length / width;
        int blocks = x.Length < 1 << 18 ? 1 : Math.Min(Engine.Threads, rows);
        if (blocks <= 1)
        {
            SumRows(x, width, sums[..width]);
            return;
        }
        var partials = new float[blocks * width];
        fixed (float* xp = x)
        {
            float* px = xp;
            Engine.ParallelFor(blocks, (first, last) =>
            {
                for (int b = first; b < last; b++)
                {
                    int r0 = (int)((long)rows * b / blocks), r1 = (int)((long)rows * (b + 1) / blocks);
                    SumRows(new ReadOnlySpan<float>(px + (long)r0 * width, (r1 - r0) * width), width, partials.AsSpan(b * width, width));
                }
            });
        }
        for (int b = 0; b < blocks; b++) TensorPrimitives.Add(sums[..width], partials.AsSpan(b * width, width), sums[..width]);
    }

    /// <summary>sums += the column sums of a block of rows; narrow rows (up to 64 values) are summed in registers.</summary>
    private static void SumRows(ReadOnlySpan<float> x, int width, Span<float> sums)
    {
        int lanes = Vector<float>.Count;
        if (width % lanes != 0 || width > 8 * lanes)
        {
            for (int r = 0; r < x.Length; r += width) TensorPrimitives.Add(sums, x.Slice(r, width), sums);
            return;
        }
        // Up to 8 vectors of column sums stay in registers across all rows.
        Span<Vector<float>> acc = stackalloc Vector<float>[width / lanes];
        for (int v = 0; v < acc.Length; v++) acc[v] = new Vector<float>(sums[(v * lanes)..]);
        for (int r = 0; r < x.Length; r += width)
            for (int v = 0; v < acc.Length; v++) acc[v] += new Vector<float>(x[(r + v * lanes)..]);
        for (int v = 0; v < acc.Length; v++) acc[v].CopyTo(sums[(v * lanes)..]);
    }

    /// <summary>grad = 0 where the ReLU's output is not positive; large tensors in blocks on all threads.</summary>
    private static unsafe void ReluGradient(ReadOnlySpan<float> output, Span<float> grad)
    {
        if (output.Length < grad.Length) throw new ArgumentException($"The ReLU output has {output.Length} values, its gradient {grad.Length}.", nameof(output));
        const int block = 1 << 16;
        int blocks = (grad.Length + block - 1) / block;
        fixed (float* yp = output, gp = grad)
        {
            float* y = yp, g = gp;
            int length = grad.Length;
            Engine.ParallelFor(blocks, (first, last) =>
            {
                int start = first * block, end = Math.Min(length, last * block), i = start;
                for (; i <= end - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var keep = Vector.GreaterThan(Vector.Load(y + i), Vector<float>.Zero);
                    Vector.Store(Vector.ConditionalSelect(keep, Vector.Load(g + i), Vector<float>.Zero), g + i);
                }
                for (; i < end; i++) if (!(y[i] > 0f)) g[i] = 0f;
            });
        }
    }

    /// <summary>
    /// Max pooling: each output gradient goes to the input position that held the maximum (the first
    /// one in window order when several are equal, as TF and PyTorch do). <paramref name="output"/> is
    /// the forward result: a tap is the maximum where it equals it, compared a vector of channels at a time.
    /// With <paramref name="throughRelu"/> the pooled values are the output of a ReLU and its gradient is
    /// applied too: a maximum that is not positive passes nothing (the same values as the ReLU's backward
    /// pass afterwards, without another pass over the tensor). Windows that do not overlap (the usual
    /// 2x2 stride 2) write their taps instead of adding to them, so the gradient is not cleared first
    /// where the windows cover the whole input.
    /// </summary>
    public static unsafe Tensor MaxPool2D(Tensor input, Tensor output, Tensor outputGrad, PoolOptions options, bool throughRelu = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(options);
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        var g = options.Geometry(h, w);
        var outShape = new Shape(n, g.OutH, g.OutW, c);
        output.ExpectShape(outShape, "max-pool output");
        outputGrad.ExpectShape(outShape, "max-pool output gradient");
        bool disjoint = g.StrideH >= g.KH && g.StrideW >= g.KW;
        bool covered = disjoint && g.StrideH == g.KH && g.StrideW == g.KW && g.PadTop == 0 && g.PadLeft == 0
            && g.OutH * g.KH == h && g.OutW * g.KW == w;
        var dx = covered ? Tensor.Uninitialized(input.Shape) : Tensor.Zeros(input.Shape);
        int lanes = Vector<float>.Count;
        fixed (float* xp = input.Span, yp = output.Span, dyp = outputGrad.Span, dxp = dx.Span)
        {
            float* x = xp, y = yp, dy = dyp, grad = dxp;
            // One image per task: windows of different images never share an input value.
            Engine.ParallelFor(n, (first, last) =>
            {
                for (int b = first; b < last; b++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            long o = (((long)b * g.OutH + oh) * g.OutW + ow) * c;
                            int ch = 0;
                            for (; ch + lanes <= c; ch += lanes)
                            {
                                var max = Vector.Load(y + o + ch);
                                var d = Vector.Load(dy + o + ch);
                                if (throughRelu) d = Vector.ConditionalSelect(Vector.GreaterThan(max, Vector<float>.Zero), d, Vector<float>.Zero);
                                var pending = Vector<int>.AllBitsSet;
                                for (int i = 0; i < g.KH; i++)
                                {
                                    int ih = g.InputRow(oh, i);
                                    if (ih < 0 || ih >= h) continue;
                                    for (int j = 0; j < g.KW; j++)
                                    {
                                        int iw = g.InputCol(ow, j);
                                        if (iw < 0 || iw >= w) continue;
                                        long at = (((long)b * h + ih) * w + iw) * c + ch;
                                        var hit = Vector.Equals(Vector.Load(x + at), max) & pending;
                                        pending = Vector.AndNot(pending, hit);
                                        var share = Vector.ConditionalSelect(hit, d, Vector<float>.Zero);
                                        Vector.Store(disjoint ? share : Vector.Load(grad + at) + share, grad + at);
                                    }
                                }
                            }
                            for (; ch < c; ch++)
                            {
                                float max = y[o + ch], d = throughRelu && !(max > 0) ? 0f : dy[o + ch];
                                bool done = false;
                                for (int i = 0; i < g.KH; i++)
                                {
                                    int ih = g.InputRow(oh, i);
                                    if (ih < 0 || ih >= h) continue;
                                    for (int j = 0; j < g.KW; j++)
                                    {
                                        int iw = g.InputCol(ow, j);
                                        if (iw < 0 || iw >= w) continue;
                                        long at = (((long)b * h + ih) * w + iw) * c + ch;
                                        bool hit = !done && x[at] == max;
                                        done |= hit;
                                        if (disjoint) grad[at] = hit ? d : 0f;
                                        else if (hit) grad[at] += d;
                                    }
                                }
                            }
                        }
            });
        }
        return dx;
    }

    /// <summary>
    /// 2x2 max pooling (stride 2, valid) from the taps recorded by <see cref="Convolution.Conv2DMaxPool2x2"/>:
    /// each output gradient goes to the tap that held its window's maximum, every other input position gets 0
    /// (rows and columns no window covers included). With <paramref name="throughRelu"/> a maximum that is not
    /// positive passes nothing (the gradient of a ReLU before the pooling). The pooled input itself is not needed.
    /// </summary>
    public static unsafe Tensor MaxPool2x2FromArgmax(Shape inputShape, Tensor pooled, ReadOnlySpan<byte> argmax, Tensor outputGrad, bool throughRelu)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(outputGrad);
        if (inputShape.Rank != 4) throw new ArgumentException($"Max-pool input must be NHWC, got {inputShape}.", nameof(inputShape));
        int n = inputShape[0], h = inputShape[1], w = inputShape[2], c = inputShape[3], ph = h / 2, pw = w / 2;
        var outShape = new Shape(n, ph, pw, c);
        pooled.ExpectShape(outShape, "max-pool output");
        outputGrad.ExpectShape(outShape, "max-pool output gradient");
        if (argmax.Length < outShape.Length)
            throw new ArgumentException($"The argmax record holds {argmax.Length} bytes; the pooled output {outShape} needs {outShape.Length}.", nameof(argmax));
        var dx = Tensor.Uninitialized(inputShape);
        fixed (float* yp = pooled.Span, dyp = outputGrad.Span, dxp = dx.Span)
        fixed (byte* ap = argmax)
        {
            float* y = yp, dy = dyp, grad = dxp;
            byte* taps = ap;
            Engine.ParallelFor(n, (first, last) =>
            {
                for (int b = first; b < last; b++)
                {
                    float* image = grad + (long)b * h * w * c;
                    long at = (long)b * ph * pw * c;
                    ExpandPooledGradient(y + at, dy + at, taps + at, ph, pw, c, image, (long)w * c, throughRelu, null);
                    // Rows and columns no window covers.
                    if (w % 2 != 0)
                        for (int r = 0; r < 2 * ph; r++) new Span<float>(image + ((long)r * w + w - 1) * c, c).Clear();
                    if (h % 2 != 0) new Span<float>(image + (long)(h - 1) * w * c, w * c).Clear();
                }
            });
        }
        return dx;
    }

    /// <summary>Average pooling: each output gradient is shared equally by the window's taps inside the image.</summary>
    public static unsafe Tensor AvgPool2D(Shape inputShape, Tensor outputGrad, PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(outputGrad);
        ArgumentNullException.ThrowIfNull(options);
        int n = inputShape[0], h = inputShape[1], w = inputShape[2], c = inputShape[3];
        var g = options.Geometry(h, w);
        outputGrad.ExpectShape(new Shape(n, g.OutH, g.OutW, c), "average-pool output gradient");
        var dx = Tensor.Zeros(inputShape);
        fixed (float* dyp = outputGrad.Span, dxp = dx.Span)
        {
            float* dy = dyp, grad = dxp;
            Engine.ParallelFor(n, (first, last) =>
            {
                for (int b = first; b < last; b++)
                    for (int oh = 0; oh < g.OutH; oh++)
                        for (int ow = 0; ow < g.OutW; ow++)
                        {
                            int kh0 = 0, kh1 = g.KH, kw0 = 0, kw1 = g.KW;
                            while (kh0 < kh1 && g.InputRow(oh, kh0) < 0) kh0++;
                            while (kh1 > kh0 && g.InputRow(oh, kh1 - 1) >= h) kh1--;
                            while (kw0 < kw1 && g.InputCol(ow, kw0) < 0) kw0++;
                            while (kw1 > kw0 && g.InputCol(ow, kw1 - 1) >= w) kw1--;
                            int count = (kh1 - kh0) * (kw1 - kw0);
                            if (count == 0) continue;
                            var share = new ReadOnlySpan<float>(dy + (((long)b * g.OutH + oh) * g.OutW + ow) * c, c);
                            for (int i = kh0; i < kh1; i++)
                                for (int j = kw0; j < kw1; j++)
                                {
                                    var target = new Span<float>(grad + (((long)b * h + g.InputRow(oh, i)) * w + g.InputCol(ow, j)) * c, c);
                                    TensorPrimitives.MultiplyAdd(share, 1f / count, target, target);
                                }
                        }
            });
        }
        return dx;
    }

    /// <summary>Global average pooling: every position receives dy / (H·W).</summary>
    public static Tensor GlobalAvgPool(Shape inputShape, Tensor outputGrad)
    {
        ArgumentNullException.ThrowIfNull(outputGrad);
        int n = inputShape[0], hw = inputShape[1] * inputShape[2], c = inputShape[3];
        outputGrad.ExpectShape(new Shape(n, c), "global-average-pool output gradient");
        var dx = Tensor.Uninitialized(inputShape);
        for (int b = 0; b < n; b++)
            for (int p = 0; p < hw; p++)
                TensorPrimitives.Multiply(outputGrad.Span.Slice(b * c, c), 1f / hw, dx.Span.Slice((b * hw + p) * c, c));
        return dx;
    }

    /// <summary>grad *= f'(x), written through the activation's output y (ReLU: y &gt; 0; sigmoid: y(1-y); tanh: 1-y²).</summary>
    public static void Activation(ReadOnlySpan<float> output, Span<float> grad, Activation activation)
    {
        switch (activation.Kind)
        {
            case ActivationKind.Linear:
                break;
            case ActivationKind.Relu:
                ReluGradient(output, grad);
                break;
            case ActivationKind.Relu6:
                for (int i = 0; i < grad.Length; i++) if (output[i] <= 0f || output[i] >= 6f) grad[i] = 0f;
                break;
            case ActivationKind.LeakyRelu:
                for (int i = 0; i < grad.Length; i++) if (output[i] <= 0f) grad[i] *= activation.Alpha;
                break;
            case ActivationKind.Sigmoid:
                for (int i = 0; i < grad.Length; i++) grad[i] *= output[i] * (1f - output[i]);
                break;
            case ActivationKind.Tanh:
                for (int i = 0; i < grad.Length; i++) grad[i] *= 1f - output[i] * output[i];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation.Kind, "Unknown activation.");
        }
    }
}
