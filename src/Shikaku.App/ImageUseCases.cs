using System.Diagnostics;
using System.Runtime.CompilerServices;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>filter: one classic filter (a <see cref="FilterKernel"/> spec such as gaussian:2) applied to a photo.</summary>
public sealed record FilterRequest(string Input, string Kernel, string Output, ImageLoadOptions Load, ImageSaveOptions Save);

/// <summary>What filter did: the filter's name, the input's size (WxHxC), the time the filter took, the file written.</summary>
public sealed record FilterResult(string Filter, string Size, double Milliseconds, string Output);

/// <summary>pool of a photo: max or average pooling with square windows of <paramref name="Size"/>.</summary>
public sealed record PoolImageRequest(string Input, int Size, bool Max, string Output, ImageLoadOptions Load, ImageSaveOptions Save);

/// <summary>What pool did: the input and output sizes and the file written.</summary>
public sealed record PoolImageResult(bool Max, int Size, int InWidth, int InHeight, int OutWidth, int OutHeight, string Output);

/// <summary>The image verbs: a photo in, a filtered or pooled photo out (no metadata unless asked).</summary>
public static class ImageUseCases
{
    public static FilterResult Filter(FilterRequest request)
    {
        var filter = FilterKernel.Parse(request.Kernel);
        string output = OutputPolicy.OutputImage(request.Output, request.Save.Overwrite);
        var (result, size, ms) = Filter(request, filter);
        // The input's pixels and the decoder's leftovers are garbage now; collect them (and give their pages
        // back) before the encoder takes its RGBA copy, or all three are held at once.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        ImageCodec.Save(result, output, request.Save);
        return new FilterResult(filter.Name, size, ms, output);
    }

    /// <summary>
    /// Loads and filters in a frame of its own: once it returns, nothing refers to the input's pixels,
    /// so they can be collected while the result is encoded (unoptimised code keeps a method's locals
    /// alive to its end).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Image Result, string Size, double Ms) Filter(FilterRequest request, FilterKernel filter)
    {
        var image = ImageCodec.Load(request.Input, request.Load);
        var sw = Stopwatch.StartNew();
        var result = ImageFilters.Apply(image, filter).WithExif(image.Exif);
        return (result, $"{image.Width}x{image.Height}x{image.Channels}", sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// A filter on an image a front end holds in memory: the filtered image (no metadata), the filter's name and its time.
    /// A server bounds the work with <paramref name="maxMultiplyAdds"/> (a 255x255 custom kernel on a large photo is minutes).
    /// </summary>
    public static (Image Result, string Filter, double Milliseconds) FilterImage(Image image, string kernel, long maxMultiplyAdds = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(image);
        var filter = FilterKernel.Parse(kernel);
        long work = MultiplyAdds(filter, image);
        if (work > maxMultiplyAdds)
            throw new UsageException($"The filter {filter.Name} ({filter.Kernel.GetLength(0)}x{filter.Kernel.GetLength(1)}) on this {image.Width}x{image.Height} image is " +
                $"{work:N0} multiply-adds, over the limit of {maxMultiplyAdds:N0} here; use a smaller kernel or image, or ./shikaku filter.");
        var sw = Stopwatch.StartNew();
        var result = ImageFilters.Apply(image, filter);
        return (result, filter.Name, sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>The multiply-adds a filter costs on an image: its taps (a separable one's row and column) per pixel and channel.</summary>
    public static long MultiplyAdds(FilterKernel filter, Image image)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(image);
        static long Taps(FilterKernel f) => f.Column != null && f.Row != null ? f.Column.Length + f.Row.Length : f.Kernel.Length;
        long taps = Taps(filter) + (filter.Partner is { } partner ? Taps(partner) : 0); // a gradient magnitude runs its x and y kernels
        return taps * image.Width * image.Height * image.Channels;
    }

    public static PoolImageResult Pool(PoolImageRequest request)
    {
        string output = OutputPolicy.OutputImage(request.Output, request.Save.Overwrite);
        var image = ImageCodec.Load(request.Input, request.Load);
        var result = ImageFilters.Pool(image, request.Size, request.Max).WithExif(image.Exif);
        ImageCodec.Save(result, output, request.Save);
        return new PoolImageResult(request.Max, request.Size, image.Width, image.Height, result.Width, result.Height, output);
    }
}
