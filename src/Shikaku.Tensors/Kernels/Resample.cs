using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.Intrinsics;
using Shikaku.Tensors;

namespace Shikaku.Kernels;

/// <summary>How <see cref="Resample.Resize"/> computes a new pixel.</summary>
public enum ResizeMode
{
    /// <summary>Bilinear interpolation with half-pixel centres (OpenCV INTER_LINEAR, TF half_pixel_centers).</summary>
    Bilinear,
    /// <summary>The mean over the source area each output pixel covers (OpenCV INTER_AREA); the right choice for shrinking.</summary>
    Area,
    /// <summary>The nearest source pixel.</summary>
    Nearest,
    /// <summary>
    /// Bilinear with source = destination * (in / out): TF's legacy default (align_corners = false,
    /// half_pixel_centers = false), which TF.js models such as face-api.js were trained with.
    /// </summary>
    BilinearAsymmetric,
    /// <summary>Bilinear with the corner pixels of input and output aligned: source = destination * (in - 1) / (out - 1) (TF align_corners).</summary>
    BilinearAlignCorners,
    /// <summary>The nearest pixel with half-pixel centres: source = ⌊(destination + 0.5) * in / out⌋ (TF half_pixel_centers).</summary>
    NearestHalfPixel,
    /// <summary>The nearest pixel with the corners aligned: source = round(destination * (in - 1) / (out - 1)) (TF align_corners).</summary>
    NearestAlignCorners,
}

/// <summary>Geometric operations on NHWC image tensors: resize, crop, pad.</summary>
public static class Resample
{
    /// <summary>Resizes every image of [N, H, W, C] to [N, height, width, C].</summary>
    public static Tensor Resize(Tensor input, int height, int width, ResizeMode mode = ResizeMode.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"Resize needs NHWC input, got {input.Shape}.", nameof(input));
        if (height < 1 || width < 1) throw new ArgumentException($"Target size {width}x{height} must be at least 1x1.");
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        if (mode == ResizeMode.BilinearAsymmetric) return ResizeZeroPadded(input, 0, 0, h, w, height, width);
        if (mode == ResizeMode.Area && (height > h || width > w)) mode = ResizeMode.Bilinear; // area only shrinks
        var rows = Taps.For(h, height, mode);
        var cols = Taps.For(w, width, mode);
        var output = Tensor.Uninitialized(new Shape(n, height, width, c));
        // Separable: each output row is a weighted sum of source rows (whole rows, vectorised), then each output pixel
        // a weighted sum of that sum's pixels. Rows are independent, so they run in parallel.
        Engine.ParallelFor(n * height, (first, last) =>
        {
            var x = input.Span;
            var y = output.Span;
            var tmp = ArrayPool<float>.Shared.Rent(w * c);
            try
            {
                var sum = tmp.AsSpan(0, w * c);
                for (int row = first; row < last; row++)
                {
                    int b = row / height, oy = row % height;
                    for (int t = rows.Start[oy]; t < rows.Start[oy + 1]; t++)
                    {
                        var src = x.Slice((b * h + rows.Index[t]) * w * c, w * c);
                        if (t == rows.Start[oy]) TensorPrimitives.Multiply(src, rows.Weight[t], sum);
                        else TensorPrimitives.MultiplyAdd(src, rows.Weight[t], sum, sum);
                    }
                    var dst = y.Slice(row * width * c, width * c);
                    for (int ox = 0; ox < width; ox++)
                    {
                        var pixel = dst.Slice(ox * c, c);
                        int start = cols.Start[ox];
                        if (c >= 8)
                        {
                            TensorPrimitives.Multiply(sum.Slice(cols.Index[start] * c, c), cols.Weight[start], pixel);
                            for (int t = start + 1; t < cols.Start[ox + 1]; t++)
                                TensorPrimitives.MultiplyAdd(sum.Slice(cols.Index[t] * c, c), cols.Weight[t], pixel, pixel);
                            continue;
                        }
                        for (int ch = 0; ch < c; ch++)
                        {
                            float v = 0f;
                            for (int t = start; t < cols.Start[ox + 1]; t++) v += cols.Weight[t] * sum[cols.Index[t] * c + ch];
                            pixel[ch] = v;
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(tmp);
            }
        });
        return output;
    }

    /// <summary>
    /// TF's legacy bilinear resize (align_corners = false, half_pixel_centers = false; source = destination *
    /// in / out, computed in float32 as TF does) of each image zero-padded to paddedHeight x paddedWidth
    /// with the image placed at (top, left), without building the padded image. This is how TF.js
    /// models such as face-api.js's pad an image to a square and scale it to their input size.
    /// </summary>
    public static Tensor ResizeZeroPadded(Tensor input, int top, int left, int paddedHeight, int paddedWidth, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"Resize needs NHWC input, got {input.Shape}.", nameof(input));
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        if (height < 1 || width < 1) throw new ArgumentException($"Target size {width}x{height} must be at least 1x1.");
        if (top < 0 || left < 0 || top + h > paddedHeight || left + w > paddedWidth)
            throw new ArgumentException($"A {w}x{h} image at ({left}, {top}) does not fit a {paddedWidth}x{paddedHeight} padded frame.");
        var output = Tensor.Uninitialized(new Shape(n, height, width, c));
        float scaleY = (float)paddedHeight / height, scaleX = (float)paddedWidth / width;
        var x0 = new int[width];
        var x1 = new int[width];
        var fx = new float[width];
        for (int o = 0; o < width; o++)
        {
            float s = o * scaleX;
            int lo = (int)MathF.Floor(s);
            x0[o] = lo - left;
            x1[o] = Math.Min(lo + 1, paddedWidth - 1) - left;
            fx[o] = s - lo;
        }
        // A source pixel outside the image reads these zeros (the padding). Rows run in parallel; the channels of a
        // pixel in vectors, with TF's order of operations (no fused multiply-add), so results equal the scalar form.
        var zeros = new float[c];
        Engine.ParallelFor(n * height, (first, last) =>
        {
            ReadOnlySpan<float> src = input.Span;
            var dst = output.Span;
            for (int row = first; row < last; row++)
            {
                int b = row / height, oy = row % height;
                var image = src.Slice(b * h * w * c, h * w * c);
                float sy = oy * scaleY;
                int lo = (int)MathF.Floor(sy);
                int r0 = lo - top, r1 = Math.Min(lo + 1, paddedHeight - 1) - top;
                float fy = sy - lo;
                bool has0 = r0 >= 0 && r0 < h, has1 = r1 >= 0 && r1 < h;
                var row0 = has0 ? image.Slice(r0 * w * c, w * c) : default;
                var row1 = has1 ? image.Slice(r1 * w * c, w * c) : default;
                var outRow = dst.Slice(row * width * c, width * c);
                for (int ox = 0; ox < width; ox++)
                {
                    int a = x0[ox], bb = x1[ox];
                    bool inA = a >= 0 && a < w, inB = bb >= 0 && bb < w;
                    ReadOnlySpan<float> tl = has0 && inA ? row0.Slice(a * c, c) : zeros, tr = has0 && inB ? row0.Slice(bb * c, c) : zeros;
                    ReadOnlySpan<float> bl = has1 && inA ? row1.Slice(a * c, c) : zeros, br = has1 && inB ? row1.Slice(bb * c, c) : zeros;
                    Lerp(tl, tr, bl, br, fx[ox], fy, outRow.Slice(ox * c, c));
                }
            }
        });
        return output;
    }

    /// <summary>Bilinear interpolation of four pixels' channels: across by fx, then down by fy.</summary>
    private static void Lerp(ReadOnlySpan<float> tl, ReadOnlySpan<float> tr, ReadOnlySpan<float> bl, ReadOnlySpan<float> br, float fx, float fy, Span<float> y)
    {
        int ch = 0;
        if (Vector256.IsHardwareAccelerated && y.Length >= 8)
        {
            var vx = Vector256.Create(fx);
            var vy = Vector256.Create(fy);
            for (; ch + 8 <= y.Length; ch += 8)
            {
                var a = Vector256.Create(tl.Slice(ch, 8));
                var b = Vector256.Create(bl.Slice(ch, 8));
                var t = a + (Vector256.Create(tr.Slice(ch, 8)) - a) * vx;
                var bt = b + (Vector256.Create(br.Slice(ch, 8)) - b) * vx;
                (t + (bt - t) * vy).CopyTo(y.Slice(ch, 8));
            }
        }
        for (; ch < y.Length; ch++)
        {
            float t = tl[ch] + (tr[ch] - tl[ch]) * fx, bt = bl[ch] + (br[ch] - bl[ch]) * fx;
            y[ch] = t + (bt - t) * fy;
        }
    }

    /// <summary>For each output index o, the source indices and weights that make it, at Start[o]..Start[o+1]-1 (separable in x and y).</summary>
    private sealed class Taps(int[] start, int[] index, float[] weight)
    {
        public readonly int[] Start = start;
        public readonly int[] Index = index;
        public readonly float[] Weight = weight;

        public static Taps For(int inSize, int outSize, ResizeMode mode)
        {
            var first = new int[outSize + 1];
            var taps = new List<(int Index, float Weight)>();
            bool corners = mode is ResizeMode.BilinearAlignCorners or ResizeMode.NearestAlignCorners && outSize > 1;
            double scale = corners ? (inSize - 1.0) / (outSize - 1) : (double)inSize / outSize;
            for (int o = 0; o < outSize; o++)
            {
                first[o] = taps.Count;
                switch (mode)
                {
                    case ResizeMode.Nearest:
                        taps.Add((Math.Min(inSize - 1, (int)Math.Floor(o * scale)), 1f));
                        break;
                    case ResizeMode.NearestHalfPixel:
                        taps.Add((Math.Min(inSize - 1, (int)Math.Floor((o + 0.5) * scale)), 1f));
                        break;
                    case ResizeMode.NearestAlignCorners:
                        taps.Add((Math.Min(inSize - 1, (int)Math.Round(o * scale, MidpointRounding.AwayFromZero)), 1f));
                        break;
                    case ResizeMode.Area:
                    {
                        double start = o * scale, end = (o + 1) * scale;
                        for (int i = (int)Math.Floor(start); i < Math.Min(inSize, (int)Math.Ceiling(end)); i++)
                        {
                            double overlap = Math.Min(end, i + 1) - Math.Max(start, i);
                            if (overlap > 1e-9) taps.Add((i, (float)(overlap / scale)));
                        }
                        break;
                    }
                    default:
                    {
                        double src = mode == ResizeMode.BilinearAlignCorners ? o * scale : (o + 0.5) * scale - 0.5;
                        if (src < 0) src = 0;
                        int i0 = Math.Min(inSize - 1, (int)Math.Floor(src));
                        int i1 = Math.Min(inSize - 1, i0 + 1);
                        float f = (float)(src - i0);
                        if (i1 == i0 || f == 0f) taps.Add((i0, 1f));
                        else { taps.Add((i0, 1f - f)); taps.Add((i1, f)); }
                        break;
                    }
                }
            }
            first[outSize] = taps.Count;
            return new Taps(first, [.. taps.Select(t => t.Index)], [.. taps.Select(t => t.Weight)]);
        }
    }

    /// <summary>The region rows y..y+height-1, columns x..x+width-1 of every image.</summary>
    public static Tensor Crop(Tensor input, int x, int y, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"Crop needs NHWC input, got {input.Shape}.", nameof(input));
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        if (width < 1 || height < 1 || x < 0 || y < 0 || x + width > w || y + height > h)
            throw new ArgumentException($"Crop {width}x{height} at ({x}, {y}) is outside the {w}x{h} image.");
        var output = Tensor.Uninitialized(new Shape(n, height, width, c));
        for (int b = 0; b < n; b++)
            for (int r = 0; r < height; r++)
                input.Span.Slice(((b * h + y + r) * w + x) * c, width * c).CopyTo(output.Span.Slice(((b * height) + r) * width * c, width * c));
        return output;
    }

    /// <summary>Adds borders (zeros, or mirrored/repeated edge pixels) around every image.</summary>
    public static Tensor Pad(Tensor input, int top, int bottom, int left, int right, BorderMode mode = BorderMode.Zero)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4) throw new ArgumentException($"Pad needs NHWC input, got {input.Shape}.", nameof(input));
        if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new ArgumentException("Padding must not be negative.");
        int n = input.Shape[0], h = input.Shape[1], w = input.Shape[2], c = input.Shape[3];
        int oh = h + top + bottom, ow = w + left + right;
        var output = Tensor.Zeros(n, oh, ow, c);
        var x = input.Span;
        var y = output.Span;
        for (int b = 0; b < n; b++)
            for (int r = 0; r < oh; r++)
            {
                int sr = Border.Map(r - top, h, mode);
                if (sr < 0) continue;
                for (int col = 0; col < ow; col++)
                {
                    int sc = Border.Map(col - left, w, mode);
                    if (sc < 0) continue;
                    x.Slice(((b * h + sr) * w + sc) * c, c).CopyTo(y.Slice(((b * oh + r) * ow + col) * c, c));
                }
            }
        return output;
    }
}
