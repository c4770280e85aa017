using System.Buffers;
using System.Runtime.InteropServices;
using Shikaku.IO;
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
    /// <summary>The default <see cref="MaxFileBytes"/>: 1 GiB, far above any real photo (a 100-megapixel PNG of noise is about 300 MB).</summary>
    public const long DefaultMaxFileBytes = 1L << 30;

    /// <summary>Largest width x height accepted, checked from the header before any pixel is decoded (default 100 megapixels).</summary>
    public long MaxPixels { get; init; } = 100_000_000;
    /// <summary>
    /// Largest encoded file or stream read, in bytes (default <see cref="DefaultMaxFileBytes"/>; at most
    /// <see cref="Array.MaxLength"/>, what one array holds). Reading stops as soon as the input is larger.
    /// </summary>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;
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
/// <para>Memory: decoding holds the file's bytes and the image's own (1 or 3 bytes a pixel) plus a band of
/// rows; only formats that cannot be decoded row by row (WebP, GIF, interlaced or bottom-up files, tiled or
/// rotated TIFF) need a whole RGBA buffer (4 bytes a pixel) for a moment. Encoding to PNG, JPEG or WebP
/// needs an RGBA copy (4 bytes a pixel); BMP, GIF and TIFF are written row by row.</para>
/// </summary>
/// <example><code>
/// var photo = ImageCodec.Load("photo.jpg");
/// ImageCodec.Save(photo.ToGray(), "gray.png", new ImageSaveOptions { Overwrite = true });
/// </code></example>
public static class ImageCodec
{
    /// <summary>
    /// The most pixels an image may have: decoders work in RGBA (4 bytes a pixel) and one .NET array or
    /// decoder buffer holds at most <see cref="Array.MaxLength"/> bytes, so about 536 megapixels (23170 x 23170).
    /// </summary>
    public const long MaxDecodablePixels = 0x7FFFFFC7 / 4; // Array.MaxLength / 4

    /// <summary>Bytes of RGBA rows decoded at once when a format decodes row by row (4 MB: a band in cache, not an image).</summary>
    private const int BandBytes = 4 << 20;

    /// <summary>Reads an image file (a regular file of at most <see cref="ImageLoadOptions.MaxFileBytes"/>).</summary>
    public static Image Load(string path, ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new ImageLoadOptions();
        byte[] bytes;
        try
        {
            bytes = SafeFile.ReadAllBytes(path, MaxFileBytes(options), "an image");
        }
        catch (FileNotFoundException e)
        {
            throw new ImageException($"{path}: no such file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // SafeFile's own messages already name the file and what is wrong with it.
            throw new ImageException(e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: cannot be read ({e.Message}).", e);
        }
        return Decode(bytes, path, options);
    }

    /// <summary>Reads an image from a stream, to its end but never more than <see cref="ImageLoadOptions.MaxFileBytes"/>.</summary>
    public static Image Load(Stream stream, string name = "stream", ImageLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new ImageLoadOptions();
        long limit = MaxFileBytes(options);
        using var copy = new MemoryStream();
        try
        {
            if (stream.CanSeek && stream.Length - stream.Position > limit) throw TooLarge(name, stream.Length - stream.Position, limit);
            var buffer = new byte[81920];
            while (true)
            {
                // At most one byte past the limit: enough to know the input is too large, never the rest of /dev/zero.
                int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, limit + 1 - copy.Length));
                if (n == 0) break;
                copy.Write(buffer, 0, n);
                if (copy.Length > limit) throw TooLarge(name, copy.Length, limit);
            }
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            throw new ImageException($"{name}: cannot be read ({e.Message}).", e);
        }
        return Decode(copy.ToArray(), name, options);
    }

    private static long MaxFileBytes(ImageLoadOptions options) =>
        options.MaxFileBytes >= 1 ? Math.Min(options.MaxFileBytes, Array.MaxLength)
            : throw new ImageException($"MaxFileBytes {options.MaxFileBytes} must be at least 1 (default {ImageLoadOptions.DefaultMaxFileBytes:N0}).");

    private static ImageException TooLarge(string name, long length, long limit) =>
        new($"{name}: the stream holds {(length > limit + 1 ? $"{length:N0} bytes" : $"more than {limit:N0} bytes")}, more than an image may be " +
            $"({limit:N0} bytes, ImageLoadOptions.MaxFileBytes); it is not an image or it is damaged.");

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
        // Skia also reads ICO, WBMP, DNG and others; Shikaku reads what it says it reads, nothing that is only found.
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Bmp
            or SKEncodedImageFormat.Gif or SKEncodedImageFormat.Webp))
            throw new ImageException($"{name}: a {codec.EncodedFormat.ToString().ToUpperInvariant()} image, which Shikaku does not read; " +
                "convert it to PNG, JPEG, BMP, GIF, WebP or TIFF.");
        var info = codec.Info;
        CheckSize(name, info.Width, info.Height, options.MaxPixels);
        if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg) JpegData.CheckCanFill(bytes, info.Width, info.Height, name);
        bool gray = info.ColorType == SKColorType.Gray8;
        int channels = gray ? 1 : 3;
        // Colour: uninitialised, every pixel is written from the RGBA rows, so a lying header costs address space,
        // not memory, until rows are really decoded. Gray: zeroed, it is decoded straight into it, and Skia may
        // leave pixels unwritten (see DecodeByRows).
        var pixels = gray ? new byte[info.Width * info.Height] : GC.AllocateUninitializedArray<byte>(info.Width * info.Height * 3);
        if (!DecodeByRows(codec, pixels, gray, name)) DecodeWhole(codec, pixels, gray, name);
        var image = new Image(info.Width, info.Height, channels, pixels);
        image = Orientation.Apply(image, (int)codec.EncodedOrigin);
        byte[]? exif = options.KeepMetadata ? Exif.Extract(bytes) : null;
        return exif == null ? image : new Image(image.Width, image.Height, image.Channels, image.Pixels) { Exif = exif };
    }

    /// <summary>
    /// Decodes top to bottom a band of rows at a time, RGBA rows compacted to RGB as they come, so no
    /// RGBA copy of the whole image exists. False when the format cannot decode rows (WebP, GIF) or
    /// gives them bottom-up (some BMPs); the caller then decodes the whole image.
    /// </summary>
    private static unsafe bool DecodeByRows(SKCodec codec, byte[] pixels, bool gray, string name)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        var target = new SKImageInfo(w, h, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (codec.StartScanlineDecode(target) != SKCodecResult.Success || codec.ScanlineOrder != SKCodecScanlineOrder.TopDown) return false;
        int rowBytes = target.RowBytes;
        int band = Math.Clamp(BandBytes / rowBytes, 1, h);
        byte[]? rgba = gray ? null : ArrayPool<byte>.Shared.Rent(band * rowBytes);
        try
        {
            fixed (byte* output = pixels)
            fixed (byte* rows = rgba)
            {
                for (int y = 0; y < h; y += band)
                {
                    int n = Math.Min(band, h - y);
                    byte* destination = gray ? output + (long)y * w : rows;
                    // Skia leaves some pixels unwritten (seen: fully transparent ones of PNGs with alpha), and a rented
                    // buffer holds old bytes: without this a picture decoded differently each time.
                    if (!gray) new Span<byte>(rows, n * rowBytes).Clear();
                    if (codec.GetScanlines((IntPtr)destination, n, rowBytes) < n)
                        throw new ImageException($"{name}: the image data is truncated (only part of it could be decoded); the file is incomplete.");
                    if (!gray) RgbaToRgb(new ReadOnlySpan<byte>(rows, n * rowBytes), new Span<byte>(output + (long)y * w * 3, n * w * 3));
                }
            }
        }
        finally
        {
            if (rgba != null) ArrayPool<byte>.Shared.Return(rgba);
        }
        return true;
    }

    /// <summary>Decodes the whole image at once: gray straight into the pixels, colour through an RGBA buffer.</summary>
    private static unsafe void DecodeWhole(SKCodec codec, byte[] pixels, bool gray, string name)
    {
        int w = codec.Info.Width, h = codec.Info.Height;
        var target = new SKImageInfo(w, h, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Unpremul);
        long bytes = (long)h * target.RowBytes; // not target.BytesSize: that is 32-bit and wraps
        // Native memory for the RGBA copy: freed at once, its pages go back to the system without a collection.
        // Zeroed (see DecodeByRows: pixels Skia leaves unwritten) by the system's lazily zeroed pages, not by a pass
        // over them: a lying header whose data ends early touches only the pages the decoder reached.
        byte* buffer = gray ? null : AllocateNative(bytes);
        try
        {
            fixed (byte* output = pixels)
            {
                var r = codec.GetPixels(target, (IntPtr)(gray ? output : buffer), target.RowBytes, new SKCodecOptions());
                if (r == SKCodecResult.IncompleteInput)
                    throw new ImageException($"{name}: the image data is truncated (only part of it could be decoded); the file is incomplete.");
                if (r != SKCodecResult.Success)
                    throw new ImageException($"{name}: the image data is corrupt ({r}).");
                if (!gray)
                    for (int y = 0; y < h; y++)
                        RgbaToRgb(new ReadOnlySpan<byte>(buffer + (long)y * target.RowBytes, w * 4), new Span<byte>(output + (long)y * w * 3, w * 3));
            }
        }
        finally
        {
            if (buffer != null) FreeNative(buffer, bytes);
        }
    }

    /// <summary>
    /// Refuses, from the header alone, an empty size, one over the caller's pixel limit, and one whose
    /// decoding buffer (RGBA, 4 bytes a pixel, computed in 128 bits) no array or decoder could address.
    /// </summary>
    internal static void CheckSize(string name, long width, long height, long maxPixels)
    {
        if (width < 1 || height < 1) throw new ImageException($"{name}: the header gives an empty size {width}x{height}; the file is corrupt.");
        Int128 pixels = (Int128)width * height; // two sides of up to 2^32 overflow 64 bits
        if (pixels > maxPixels)
            throw new ImageException($"{name}: {width}x{height} = {(double)pixels / 1e6:0.#} megapixels is over the limit of {maxPixels / 1e6:0.#} megapixels; " +
                "raise it with --max-pixels if you trust this file.");
        if (pixels > MaxDecodablePixels)
            throw new ImageException($"{name}: {width}x{height} is too large to decode: it needs {pixels * 4:N0} bytes as RGBA; " +
                $"the largest image Shikaku can hold is {MaxDecodablePixels:N0} pixels ({Array.MaxLength:N0} bytes as RGBA, e.g. 23170x23170).");
    }

    private static bool IsTiff(byte[] b) =>
        b.Length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42));

    /// <summary>R G B A R G B A ... to R G B R G B ... (alpha dropped).</summary>
    internal static void RgbaToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        int count = rgb.Length / 3;
        for (int i = 0; i < count; i++)
        {
            rgb[3 * i] = rgba[4 * i];
            rgb[3 * i + 1] = rgba[4 * i + 1];
            rgb[3 * i + 2] = rgba[4 * i + 2];
        }
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
        if (Directory.Exists(path)) throw new ImageException($"{path} is a folder, not a file name.");
        if (File.Exists(path) && !options.Overwrite)
            throw new ImageException($"{path} already exists; pass --overwrite to replace it, or choose another name.");
        try
        {
            CheckOptions(image, format, options);
        }
        catch (ImageException e)
        {
            throw new ImageException($"{path}: {e.Message}", e);
        }
        try
        {
            // Encoded straight into the temporary file: no second copy of the encoded bytes in memory.
            SafeFile.Write(path, s => EncodeTo(image, format, options, s), options.Overwrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException(e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: cannot be written ({e.Message}).", e);
        }
    }

    /// <summary>Encodes an image in memory.</summary>
    public static byte[] Encode(Image image, ImageFormat format, ImageSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new ImageSaveOptions();
        CheckOptions(image, format, options);
        using var stream = new MemoryStream();
        try
        {
            EncodeTo(image, format, options, stream);
        }
        catch (IOException e)
        {
            throw new ImageException($"A {image.Width}x{image.Height} image cannot be encoded as {format} in memory ({e.Message}); save it to a file instead.", e);
        }
        return stream.ToArray();
    }

    private static void CheckOptions(Image image, ImageFormat format, ImageSaveOptions options)
    {
        if (options.Quality is < 1 or > 100) throw new ImageException($"Quality {options.Quality} must be between 1 and 100.");
        if (options.KeepMetadata && image.Exif != null && format is not (ImageFormat.Jpeg or ImageFormat.Png))
            throw new ImageException($"Metadata can be kept only in JPEG or PNG output, not {format}.");
        if (options.KeepMetadata && image.Exif != null && format == ImageFormat.Jpeg && image.Exif.Length > Exif.MaxJpegExif)
            throw new ImageException($"The EXIF block kept from the source is {image.Exif.Length:N0} bytes, more than a JPEG APP1 segment holds " +
                $"({Exif.MaxJpegExif:N0}); save as PNG to keep it, or without --keep-metadata.");
    }

    private static void EncodeTo(Image image, ImageFormat format, ImageSaveOptions options, Stream output)
    {
        if (options.KeepMetadata && image.Exif != null)
        {
            using var plain = SkiaEncode(image, format, options.Quality);
            byte[] bytes = plain.ToArray();
            output.Write(format == ImageFormat.Jpeg ? Exif.InsertIntoJpeg(bytes, image.Exif) : Exif.InsertIntoPng(bytes, image.Exif));
            return;
        }
        switch (format)
        {
            case ImageFormat.Bmp:
                BmpWriter.Write(image, output);
                break;
            case ImageFormat.Gif:
                GifWriter.Write(image, output);
                break;
            case ImageFormat.Tiff:
                TiffCodec.Encode(image, output);
                break;
            default:
                using (var data = SkiaEncode(image, format, options.Quality)) data.SaveTo(output);
                break;
        }
    }

    /// <summary>PNG, JPEG or WebP through Skia, which encodes gray or RGBA: colour goes through an RGBA copy (4 bytes a pixel).</summary>
    private static unsafe SKData SkiaEncode(Image image, ImageFormat format, int quality)
    {
        int w = image.Width, h = image.Height;
        int maxSide = format switch { ImageFormat.Jpeg => 65500, ImageFormat.Webp => 16383, _ => int.MaxValue };
        if (w > maxSide || h > maxSide)
            throw new ImageException($"{format} holds at most {maxSide}x{maxSide} pixels; this image is {w}x{h}: save it as PNG or TIFF, or resize it.");
        bool gray = image.Channels == 1 && format != ImageFormat.Webp;
        long bytes = (long)w * h * (gray ? 1 : 4);
        if (bytes > Array.MaxLength)
            throw new ImageException($"A {w}x{h} image is too large to encode as {format}: the encoder needs {bytes:N0} bytes as RGBA, " +
                $"more than the {Array.MaxLength:N0} it can address; save it as TIFF or BMP.");
        // Native memory for the RGBA copy: freed as soon as Skia is done. Declared to the GC first, so that
        // garbage (a decoded input no longer used, say) is collected before, not after, this much more is taken.
        byte* rgba = gray ? null : AllocateNative(bytes);
        try
        {
            fixed (byte* pixels = image.Pixels)
            {
                if (!gray) ToRgba(new ReadOnlySpan<byte>(pixels, image.Pixels.Length), image.Channels, new Span<byte>(rgba, (int)bytes));
                // Opaque: Shikaku's images have no alpha, and an encoder told so writes RGB (a PNG a quarter smaller and faster).
                var info = new SKImageInfo(w, h, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
                using var pixmap = new SKPixmap(info, (IntPtr)(gray ? pixels : rgba), info.RowBytes);
                var encoded = format switch
                {
                    ImageFormat.Png => pixmap.Encode(PngOptions),
                    ImageFormat.Jpeg => pixmap.Encode(SKEncodedImageFormat.Jpeg, quality),
                    _ => pixmap.Encode(SKEncodedImageFormat.Webp, quality),
                };
                return encoded ?? throw new ImageException($"Encoding a {w}x{h} image as {format} failed.");
            }
        }
        finally
        {
            if (rgba != null) FreeNative(rgba, bytes);
        }
    }

    // One row filter (Paeth, the usual best for photographs) and zlib level 4: measured on faces mesh's three 512x512
    // textures, 2.4 times faster to encode than Skia's default (every filter tried, level 6) for files 5 % larger.
    private static readonly SKPngEncoderOptions PngOptions = new(SKPngEncoderFilterFlags.Paeth, 4);

    private static unsafe byte* AllocateNative(long bytes)
    {
        GC.AddMemoryPressure(bytes);
        return (byte*)NativeMemory.AllocZeroed((nuint)bytes);
    }

    private static unsafe void FreeNative(byte* buffer, long bytes)
    {
        NativeMemory.Free(buffer);
        GC.RemoveMemoryPressure(bytes);
    }

    /// <summary>Gray or RGB samples to opaque RGBA.</summary>
    private static void ToRgba(ReadOnlySpan<byte> pixels, int channels, Span<byte> rgba)
    {
        int count = rgba.Length / 4;
        for (int i = 0; i < count; i++)
        {
            int s = channels * i;
            rgba[4 * i] = pixels[s];
            rgba[4 * i + 1] = pixels[s + channels / 3];
            rgba[4 * i + 2] = pixels[s + 2 * (channels / 3)];
            rgba[4 * i + 3] = 255;
        }
    }
}
