using System.Numerics;
using System.Runtime.Intrinsics;
using Shikaku.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Kernels;

// Gradients of the pooling operations, for training; tests check them against finite differences.
public static partial class Pooling
{
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
    public static unsafe Tensor MaxPool2DBackward(Tensor input, Tensor output, Tensor outputGrad, PoolOptions options, bool throughRelu = false)
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
                            var (rows, cols) = (g.RowTaps(oh), g.ColTaps(ow));
                            int ch = 0;
                            for (; ch + lanes <= c; ch += lanes)
                            {
                                var max = Vector.Load(y + o + ch);
                                var d = Vector.Load(dy + o + ch);
                                if (throughRelu) d = Vector.ConditionalSelect(Vector.GreaterThan(max, Vector<float>.Zero), d, Vector<float>.Zero);
                                var pending = Vector<int>.AllBitsSet;
                                for (int i = rows.First; i < rows.End; i++)
                                {
                                    for (int j = cols.First; j < cols.End; j++)
                                    {
                                        long at = (((long)b * h + g.InputRow(oh, i)) * w + g.InputCol(ow, j)) * c + ch;
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
                                for (int i = rows.First; i < rows.End; i++)
                                {
                                    for (int j = cols.First; j < cols.End; j++)
                                    {
                                        long at = (((long)b * h + g.InputRow(oh, i)) * w + g.InputCol(ow, j)) * c + ch;
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
    public static unsafe Tensor MaxPool2x2BackwardFromArgmax(Shape inputShape, Tensor pooled, ReadOnlySpan<byte> argmax, Tensor outputGrad, bool throughRelu)
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
    public static unsafe Tensor AvgPool2DBackward(Shape inputShape, Tensor outputGrad, PoolOptions options)
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
                            var ((kh0, kh1), (kw0, kw1)) = (g.RowTaps(oh), g.ColTaps(ow));
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
    public static Tensor GlobalAvgPoolBackward(Shape inputShape, Tensor outputGrad)
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

    /// <summary>
    /// One image's 2x2 max-pool input gradient from its pooled gradient: each window's four taps get the pooled
    /// gradient at the maximum tap (with <paramref name="throughRelu"/>, only where the maximum is positive) and 0
    /// elsewhere; rows of <paramref name="dy"/> are <paramref name="rowStride"/> floats apart. The gradients that
    /// pass are added to <paramref name="columnSums"/> (C floats) when it is given (a bias gradient).
    /// </summary>
    internal static unsafe void ExpandPooledGradient(float* pooled, float* grad, byte* taps, int ph, int pw, int c, float* dy, long rowStride,
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

}
