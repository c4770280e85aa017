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
        var a = result.Span;
        TensorPrimitives.Multiply(a, a, a);
        TensorPrimitives.FusedMultiplyAdd(other.Span, other.Span, a, a);
        TensorPrimitives.Sqrt(a, a);
        return result;
    }

    /// <summary>Filters an 8-bit image and converts back for display (magnitude for edge filters).</summary>
    public static Image Apply(Image image, FilterKernel filter)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var x = image.ToTensor();
        using var y = Apply(x, filter);
        ToDisplay(y.Span, filter);
        return Image.FromTensor(y);
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
            using var vertical = Depthwise(image, f.Column, f.Column.Length, 1);
            return Depthwise(vertical, f.Row, 1, f.Row.Length);
        }
        var flat = new float[f.Kernel.Length];
        int i = 0;
        foreach (float v in f.Kernel) flat[i++] = v;
        return Depthwise(image, flat, f.Kernel.GetLength(0), f.Kernel.GetLength(1));
    }

    private static Tensor Depthwise(Tensor image, float[] kernel, int kh, int kw)
    {
        int c = image.Shape[3];
        // Depthwise weights [KH, KW, C, 1]: the same tap for every channel.
        using var weights = Tensor.Uninitialized(new Shape(kh, kw, c, 1));
        var w = weights.Span;
        for (int t = 0; t < kh * kw; t++) w.Slice(t * c, c).Fill(kernel[t]);
        return Convolution.DepthwiseConv2D(image, weights, null, new ConvOptions { Padding = Padding.Same, Border = BorderMode.Reflect101 });
    }

    /// <summary>Max or average pooling of an image: each output pixel summarises a size x size block.</summary>
    public static Image Pool(Image image, int size, bool max)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (size < 1) throw new ArgumentException($"Pool size {size} must be at least 1.");
        if (size > Math.Min(image.Width, image.Height))
            throw new ArgumentException($"Pool size {size} is larger than the {image.Width}x{image.Height} image.");
        using var x = image.ToTensor();
        using var y = max ? Pooling.MaxPool2D(x, new PoolOptions(size)) : Pooling.AvgPool2D(x, new PoolOptions(size));
        return Image.FromTensor(y);
    }
}
