using BitMiracle.LibTiff.Classic;
using SkiaSharp;

namespace Shikaku.Vision.Imaging;

/// <summary>Image file formats Shikaku reads and writes.</summary>
public enum ImageFormat
{
    /// <summary>Portable Network Graphics (lossless).</summary>
    Png,
    /// <summary>JPEG (lossy; quality 1-100).</summary>
    Jpeg,
    /// <summary>Windows bitmap (uncompressed 24-bit).</summary>
    Bmp,
    /// <summary>GIF (first frame when reading; 256-colour palette when writing).</summary>
    Gif,
    /// <summary>WebP (lossy, or lossless at quality 100).</summary>
    Webp,
    /// <summary>TIFF (8-bit, Deflate-compressed when writing).</summary>
    Tiff,
}

/// <summary>Limits and choices when reading an image.</summary>
public sealed record ImageLoadOptions
{
    /// <summary>Largest width x height accepted, checked from the header before any pixel is decoded (default 100 megapixels).</summary>
    public long MaxPixels { get; init; } = 100_000_000;
    /// <summary>Keep the file's EXIF block (camera, time, GPS) in <see cref="Image.Exif"/>; off by default.</summary>
    public bool KeepMetadata { get; init; }
}

/// <summary>Choices when writing an image.</summary>
public sealed record ImageSaveOptions
{
    /// <summary>Replace an existing file (default: refuse).</summary>
    public bool Overwrite { get; init; }
    /// <summary>JPEG/WebP quality 1-100.</summary>
    public int Quality { get; init; } = 92;
    /// <summary>Write the image's EXIF block (JPEG and PNG only). Without it nothing about the camera, time or place is written.</summary>
    public bool KeepMetadata { get; init; }
}

/// <summary>
/// Reads PNG, JPEG, BMP, GIF, WebP (SkiaSharp) and TIFF (LibTiff.NET); applies the EXIF orientation;
/// refuses images over a pixel limit before decoding them; writes without metadata unless asked.
/// Every failure is an <see cref="ImageException"/> whose message names the file and the fix.
/// </summary>
public static class ImageCodec
{
    /// <summary>Reads an image file.</summary>
    public static Image Load(string path, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new ImageException($"{path}: no such file.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException($"{path}: cannot be read ({e.Message}).", e);
        }
        return Decode(bytes, path, options);
    }

    /// <summary>Reads an image from a stream (read to the end).</summary>
    public static Image Load(Stream stream, string name = "stream", ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Decode(copy.ToArray(), name, options);
    }

    /// <summary>Decodes encoded bytes; <paramref name="name"/> is used in error messages.</summary>
    public static Image Decode(byte[] bytes, string name, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= new ImageLoadOptions();
        if (bytes.Length == 0) throw new ImageException($"{name}: the file is empty.");
        if (IsTiff(bytes)) return TiffCodec.Decode(bytes, name, options);
        using var data = SKData.CreateCopy(bytes);
        using var skStream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(skStream, out var result);
        if (codec == null)
            throw new ImageException(result == SKCodecResult.IncompleteInput
                ? $"{name}: the image data is truncated; the file is incomplete."
                : $"{name}: not a supported image (PNG, JPEG, BMP, GIF, WebP or TIFF) or the file is corrupt.");
        var info = codec.Info;
        CheckSize(name, info.Width, info.Height, options.MaxPixels);
        bool gray = info.ColorType == SKColorType.Gray8;
        var target = new SKImageInfo(info.Width, info.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var raw = new byte[target.BytesSize];
        unsafe
        {
            fixed (byte* p = raw)
            {
                var r = codec.GetPixels(target, (IntPtr)p);
                if (r == SKCodecResult.IncompleteInput)
                    throw new ImageException($"{name}: the image data is truncated (only part of it could be decoded); the file is incomplete.");
                if (r != SKCodecResult.Success)
                    throw new ImageException($"{name}: the image data is corrupt ({r}).");
            }
        }
        int channels = gray ? 1 : 3;
        byte[] pixels = gray ? raw : DropAlpha(raw, info.Width * info.Height);
        var image = new Image(info.Width, info.Height, channels, pixels);
        image = Orientation.Apply(image, (int)codec.EncodedOrigin);
        byte[]? exif = options.KeepMetadata ? Exif.Extract(bytes) : null;
        return exif == null ? image : new Image(image.Width, image.Height, image.Channels, image.Pixels) { Exif = exif };
    }

    internal static void CheckSize(string name, long width, long height, long maxPixels)
    {
        if (width < 1 || height < 1) throw new ImageException($"{name}: the header gives an empty size {width}x{height}; the file is corrupt.");
        if (width * height > maxPixels)
            throw new ImageException($"{name}: {width}x{height} = {width * height / 1e6:0.#} megapixels is over the limit of {maxPixels / 1e6:0.#} megapixels; " +
                "raise it with --max-pixels if you trust this file.");
    }

    private static bool IsTiff(byte[] b) =>
        b.Length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42));

    private static byte[] DropAlpha(byte[] rgba, int count)
    {
        var rgb = new byte[count * 3];
        for (int i = 0; i < count; i++)
        {
            rgb[3 * i] = rgba[4 * i];
            rgb[3 * i + 1] = rgba[4 * i + 1];
            rgb[3 * i + 2] = rgba[4 * i + 2];
        }
        return rgb;
    }

    /// <summary>Whether a path has an image extension Shikaku reads.</summary>
    public static bool IsImagePath(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".bmp" or ".gif" or ".webp" or ".tif" or ".tiff";

    /// <summary>The format an output path's extension names, or a clear error.</summary>
    public static ImageFormat FormatFromPath(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".png" => ImageFormat.Png,
            ".jpg" or ".jpeg" => ImageFormat.Jpeg,
            ".bmp" => ImageFormat.Bmp,
            ".gif" => ImageFormat.Gif,
            ".webp" => ImageFormat.Webp,
            ".tif" or ".tiff" => ImageFormat.Tiff,
            _ => throw new ImageException($"{path}: unknown image extension '{ext}'; use .png, .jpg, .bmp, .gif, .webp or .tif."),
        };
    }

    /// <summary>
    /// Writes an image, the format taken from the extension. Refuses to replace an existing file
    /// unless <see cref="ImageSaveOptions.Overwrite"/>; writes to a temporary file first so a failed
    /// write never leaves half a file.
    /// </summary>
    public static void Save(Image image, string path, ImageSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(path);
        options ??= new ImageSaveOptions();
        var format = FormatFromPath(path);
        if (File.Exists(path) && !options.Overwrite)
            throw new ImageException($"{path} already exists; pass --overwrite to replace it, or choose another name.");
        if (Directory.Exists(path)) throw new ImageException($"{path} is a folder, not a file name.");
        byte[] bytes = Encode(image, format, options);
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir != null && !Directory.Exists(dir))
            throw new ImageException($"{path}: the folder {dir} does not exist.");
        string temp = Path.Combine(dir ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, options.Overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new ImageException($"{path}: cannot be written ({e.Message}).", e);
        }
    }

    /// <summary>Encodes an image in memory.</summary>
    public static byte[] Encode(Image image, ImageFormat format, ImageSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new ImageSaveOptions();
        if (options.Quality is < 1 or > 100) throw new ImageException($"Quality {options.Quality} must be between 1 and 100.");
        if (options.KeepMetadata && image.Exif != null && format is not (ImageFormat.Jpeg or ImageFormat.Png))
            throw new ImageException($"Metadata can be kept only in JPEG or PNG output, not {format}.");
        byte[] bytes = format switch
        {
            ImageFormat.Bmp => BmpWriter.Encode(image),
            ImageFormat.Gif => GifWriter.Encode(image),
            ImageFormat.Tiff => TiffCodec.Encode(image),
            _ => SkiaEncode(image, format, options.Quality),
        };
        if (options.KeepMetadata && image.Exif != null)
            bytes = format == ImageFormat.Jpeg ? Exif.InsertIntoJpeg(bytes, image.Exif) : Exif.InsertIntoPng(bytes, image.Exif);
        return bytes;
    }

    private static unsafe byte[] SkiaEncode(Image image, ImageFormat format, int quality)
    {
        // Skia encodes RGBA or gray; expand RGB to opaque RGBA.
        bool gray = image.Channels == 1 && format != ImageFormat.Webp;
        var src = gray ? image : image.ToRgb();
        byte[] buffer;
        if (gray)
        {
            buffer = src.Pixels;
        }
        else
        {
            int count = src.Width * src.Height;
            buffer = new byte[count * 4];
            for (int i = 0; i < count; i++)
            {
                buffer[4 * i] = src.Pixels[3 * i];
                buffer[4 * i + 1] = src.Pixels[3 * i + 1];
                buffer[4 * i + 2] = src.Pixels[3 * i + 2];
                buffer[4 * i + 3] = 255;
            }
        }
        var info = new SKImageInfo(src.Width, src.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        fixed (byte* p = buffer)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)p, info.RowBytes);
            var skFormat = format switch
            {
                ImageFormat.Png => SKEncodedImageFormat.Png,
                ImageFormat.Jpeg => SKEncodedImageFormat.Jpeg,
                _ => SKEncodedImageFormat.Webp,
            };
            using var data = pixmap.Encode(skFormat, quality)
                ?? throw new ImageException($"Encoding a {src.Width}x{src.Height} image as {format} failed.");
            return data.ToArray();
        }
    }
}
