using Shikaku.Kernels;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Shikaku.Vision.Filters;

/// <summary>
/// Classic filters ("convolution beyond AI") on image tensors: each is the shared depthwise
/// convolution with the same kernel on every channel, 'same' size, and a mirrored border
/// (reflect-101, OpenCV's default) so edges don't darken. Separable kernels run as two 1-D passes.
/// </summary>
/// <example><code>
/// using var blurred = ImageFilters.Apply(photo, FilterKernel.Parse("gaussian:2"));
/// </code></example>
public static class ImageFilters
{
    /// <summary>Filters an NHWC float tensor; the result has the same shape, signed values kept.</summary>
    public static Tensor Apply(Tensor image, FilterKernel filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(filter);
        if (image.Rank != 4) throw new ArgumentException($"Filters need an NHWC image tensor, got {image.Shape}.", nameof(image));
        var result = ApplyOne(image, filter);
        if (filter.Partner == null) return result;
        using var other = ApplyOne(image, filter.Partner);
        Magnitude(result.Span, other.Span);
        return result;
    }

    /// <summary>a = sqrt(a² + b²), the gradient magnitude of two filters' results.</summary>
    private static void Magnitude(Span<float> a, ReadOnlySpan<float> b)
    {
        TensorPrimitives.Multiply(a, a, a);
        TensorPrimitives.FusedMultiplyAdd(b, b, a, a);
        TensorPrimitives.Sqrt(a, a);
    }

    /// <summary>
    /// Filters an 8-bit image and converts back for display (magnitude for edge filters). Large images are
    /// filtered in horizontal strips, each read with the rows its windows reach above and below (mirrored
    /// only at the image's own top and bottom), so the float tensors are strip-sized: memory is the input
    /// and output bytes plus a few strips, and the result is the same, bit for bit, as filtering the
    /// whole image as one tensor.
    /// </summary>
    public static Image Apply(Image image, FilterKernel filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(filter);
        int w = image.Width, h = image.Height, c = image.Channels;
        int rows = StripRows(image);
        var output = GC.AllocateUninitializedArray<byte>(image.Pixels.Length);
        for (int y0 = 0; y0 < h; y0 += rows)
        {
            int n = Math.Min(rows, h - y0);
            using var result = FilterRows(image, y0, n, filter);
            if (filter.Partner != null)
            {
                using var other = FilterRows(image, y0, n, filter.Partner);
                Magnitude(result.Span, other.Span);
            }
            ToDisplay(result.Span, filter);
            Image.ToBytes(result.Span, 1f, output.AsSpan(y0 * w * c, n * w * c));
        }
        return new Image(w, h, c, output);
    }

    /// <summary>Float values per strip tensor (4 Mi floats = 16 MB): a 1920 x 728 RGB photo is one strip. Tests lower it, on their own thread.</summary>
    internal static int StripValues
    {
        get => _stripValues ?? 4 << 20;
        set => _stripValues = value;
    }

    [ThreadStatic] private static int? _stripValues;

    private static int StripRows(Image image) => (int)Math.Clamp(StripValues / ((long)image.Width * image.Channels), 1, image.Height);

    /// <summary>Output rows y0 .. y0+n-1 of one filter (no partner): the input rows its windows reach, then 'valid' vertically.</summary>
    private static Tensor FilterRows(Image image, int y0, int n, FilterKernel f)
    {
        int kh = f.Kernel.GetLength(0), kw = f.Kernel.GetLength(1);
        // 'Same' puts the extra row of an even kernel below, as Padding.Same does.
        using var x = Rows(image, y0 - (kh - 1) / 2, n + kh - 1);
        var horizontal = Padding.Explicit(0, 0, (kw - 1) / 2, kw - 1 - (kw - 1) / 2);
        if (f.Column != null && f.Row != null)
        {
            using var vertical = Depthwise(x, f.Column, f.Column.Length, 1, Padding.Valid);
            return Depthwise(vertical, f.Row, 1, f.Row.Length, horizontal);
        }
        return Depthwise(x, Flatten(f.Kernel), kh, kw, horizontal);
    }

    /// <summary>Image rows first .. first+count-1 as a [1, count, W, C] tensor, rows outside the image mirrored (reflect-101).</summary>
    private static Tensor Rows(Image image, int first, int count)
    {
        int w = image.Width, h = image.Height, c = image.Channels, rowLength = w * c;
        var t = Tensor.Uninitialized(new Shape(1, count, w, c));
        var span = t.Span;
        for (int r = 0; r < count; r++)
        {
            int source = Border.Map(first + r, h, BorderMode.Reflect101);
            TensorPrimitives.ConvertTruncating<byte, float>(image.Pixels.AsSpan(source * rowLength, rowLength), span.Slice(r * rowLength, rowLength));
        }
        return t;
    }

    /// <summary>Turns signed filter output into 0..255 display values in place.</summary>
    public static void ToDisplay(Span<float> values, FilterKernel filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Absolute) TensorPrimitives.Abs(values, values);
        if (filter.Offset != 0) TensorPrimitives.Add(values, filter.Offset, values);
    }

    private static Tensor ApplyOne(Tensor image, FilterKernel f)
    {
        if (f.Column != null && f.Row != null)
        {
            using var vertical = Depthwise(image, f.Column, f.Column.Length, 1, Padding.Same);
            return Depthwise(vertical, f.Row, 1, f.Row.Length, Padding.Same);
        }
        return Depthwise(image, Flatten(f.Kernel), f.Kernel.GetLength(0), f.Kernel.GetLength(1), Padding.Same);
    }

    private static float[] Flatten(float[,] kernel)
    {
        var flat = new float[kernel.Length];
        int i = 0;
        foreach (float v in kernel) flat[i++] = v;
        return flat;
    }

    private static Tensor Depthwise(Tensor image, float[] kernel, int kh, int kw, Padding padding)
    {
        int c = image.Shape[3];
        // Depthwise weights [KH, KW, C, 1]: the same tap for every channel.
        using var weights = Tensor.Uninitialized(new Shape(kh, kw, c, 1));
        var w = weights.Span;
        for (int t = 0; t < kh * kw; t++) w.Slice(t * c, c).Fill(kernel[t]);
        return Convolution.DepthwiseConv2D(image, weights, null, new ConvOptions { Padding = padding, Border = BorderMode.Reflect101 });
    }

    /// <summary>
    /// Max or average pooling of an image: each output pixel summarises a size x size block (rows and
    /// columns that do not fill a block are dropped). Pooled in strips of whole blocks, so the float
    /// tensors are strip-sized.
    /// </summary>
    public static Image Pool(Image image, int size, bool max)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (size < 1) throw new ArgumentException($"Pool size {size} must be at least 1.");
        if (size > Math.Min(image.Width, image.Height))
            throw new ArgumentException($"Pool size {size} is larger than the {image.Width}x{image.Height} image.");
        int w = image.Width, c = image.Channels, outH = image.Height / size, outW = w / size;
        int blocks = (int)Math.Clamp(StripValues / ((long)w * c * size), 1, outH);
        var output = GC.AllocateUninitializedArray<byte>(outH * outW * c);
        var options = new PoolOptions(size);
        for (int o0 = 0; o0 < outH; o0 += blocks)
        {
            int m = Math.Min(blocks, outH - o0);
            using var x = Rows(image, o0 * size, m * size);
            using var y = max ? Pooling.MaxPool2D(x, options) : Pooling.AvgPool2D(x, options);
            Image.ToBytes(y.Span, 1f, output.AsSpan(o0 * outW * c, m * outW * c));
        }
        return new Image(outW, outH, c, output);
    }
}
