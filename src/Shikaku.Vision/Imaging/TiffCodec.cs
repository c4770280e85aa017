using BitMiracle.LibTiff.Classic;

namespace Shikaku.Vision.Imaging;

/// <summary>TIFF through LibTiff.NET: any TIFF it can read as RGBA (orientation applied); writes 8-bit Deflate TIFF.</summary>
internal static class TiffCodec
{
    static TiffCodec() => Tiff.SetErrorHandler(new QuietHandler());

    /// <summary>
    /// Turns LibTiff's console messages into exceptions (errors, both kinds: its JPEG codec reports through
    /// the second, and silencing it decoded damaged JPEG-in-TIFF data to black) or silence (warnings).
    /// </summary>
    private sealed class QuietHandler : TiffErrorHandler
    {
        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args)
        {
            string message = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args);
            FirstError ??= message;
            throw new ImageException("TIFF: " + message);
        }
        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) =>
            ErrorHandler(tif, method, format, args);
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }
        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
    }

    /// <summary>
    /// The first error LibTiff reported while this thread decodes: its JPEG codec catches the exception the
    /// handler throws and carries on, and the RGBA reader does not stop on errors, so without this a strip
    /// that cannot be decoded came back black.
    /// </summary>
    [ThreadStatic] private static string? FirstError;

    /// <summary>A TiffStream that leaves the caller's stream open (the caller flushes and closes it).</summary>
    private sealed class LeaveOpen : TiffStream
    {
        public override void Close(object clientData) { }
    }

    public static Image Decode(byte[] bytes, string name, ImageLoadOptions options)
    {
        TiffDirectory.Check(bytes, name);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var tiff = Lib(name, "its header", () => Tiff.ClientOpen(name, "r", stream, new TiffStream()))
                ?? throw new ImageException($"{name}: the TIFF header is corrupt.");
            // Sizes are unsigned 32-bit in the file; read them as such so a huge one is not taken for a negative one.
            long w = Lib(name, "its width", () => tiff.GetField(TiffTag.IMAGEWIDTH)?[0].ToUInt() ?? 0);
            long h = Lib(name, "its height", () => tiff.GetField(TiffTag.IMAGELENGTH)?[0].ToUInt() ?? 0);
            ImageCodec.CheckSize(name, w, h, options.MaxPixels);
            int spp = Lib(name, "its samples a pixel", () => tiff.GetField(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1);
            var photometric = (Photometric)Lib(name, "its colour space", () => tiff.GetField(TiffTag.PHOTOMETRIC)?[0].ToInt() ?? 1);
            bool gray = spp == 1 && photometric is Photometric.MINISBLACK or Photometric.MINISWHITE;
            var image = new Image((int)w, (int)h, gray ? 1 : 3, GC.AllocateUninitializedArray<byte>((int)(w * h * (gray ? 1 : 3))));
            FirstError = null;
            if (!DecodeByStrips(tiff, image, name)) image = DecodeWhole(tiff, image, name);
            if (FirstError != null) throw new ImageException($"{name}: the TIFF pixel data cannot be decoded ({FirstError}); the file is corrupt or truncated.");
            return image;
        }
        catch (ImageException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new ImageException($"{name}: {e.Message}; the file is corrupt or truncated.", e);
        }
    }

    /// <summary>
    /// A call into LibTiff.NET. It trusts offsets, counts and types in the file more than it should: a
    /// damaged file can make it fail inside itself instead of reporting an error. That is still a damaged
    /// file, and said so; only exceptions from these calls are taken for one, never Shikaku's own. The
    /// message names the step, not the exception (its text means nothing to the user; it stays the inner one).
    /// An allocation that fails inside LibTiff.NET is one a damaged count asked for (TiffDirectory checks
    /// the first directory, not every structure behind it).
    /// </summary>
    private static T Lib<T>(string name, string step, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or NullReferenceException or InvalidCastException
            or ArithmeticException or IOException or InvalidOperationException or NotSupportedException or OutOfMemoryException)
        {
            string what = e is OutOfMemoryException ? "a count in it asks for more memory than an image of its size needs" : "the TIFF reader could not follow it";
            throw new ImageException($"{name}: the TIFF data is corrupt or truncated while reading {step}: {what}.", e);
        }
    }

    /// <summary>
    /// Reads strip after strip through a raster of one strip (most TIFFs: 8 to 64 rows), so no 4-byte
    /// copy of the whole image is made. Only for upright, striped files of several strips; false otherwise.
    /// </summary>
    private static bool DecodeByStrips(Tiff tiff, Image image, string name)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        if (Lib(name, "its layout", tiff.IsTiled)) return false;
        int orientation = Lib(name, "its orientation", () => tiff.GetField(TiffTag.ORIENTATION)?[0].ToInt() ?? (int)BitMiracle.LibTiff.Classic.Orientation.TOPLEFT);
        if (orientation != (int)BitMiracle.LibTiff.Classic.Orientation.TOPLEFT) return false;
        long rowsPerStrip = Lib(name, "its rows a strip", () => tiff.GetFieldDefaulted(TiffTag.ROWSPERSTRIP)?[0].ToUInt() ?? 0);
        if (rowsPerStrip < 1 || rowsPerStrip >= h) return false;
        int rps = (int)rowsPerStrip;
        var raster = new int[(long)w * rps];
        for (int row = 0; row < h; row += rps)
        {
            int first = row;
            if (!Lib(name, $"the strip at row {first}", () => tiff.ReadRGBAStrip(first, raster)))
                throw new ImageException($"{name}: the TIFF pixel data cannot be decoded (corrupt or truncated).");
            // The strip comes bottom-up: raster row k is image row row + n - 1 - k.
            int n = Math.Min(rps, h - row);
            for (int k = 0; k < n; k++)
                Unpack(raster.AsSpan(k * w, w), image.Pixels.AsSpan((row + n - 1 - k) * w * c, w * c), c);
        }
        return true;
    }

    /// <summary>
    /// The whole image through one raster of 4 bytes a pixel, with the file's orientation applied. The raster is read in
    /// the order the rows are stored (asked for in the file's own orientation), then turned upright as an EXIF
    /// orientation is: LibTiff's reader only flips, so the four orientations that swap rows and columns (5 to 8, a
    /// camera held sideways) came out mirrored instead of turned.
    /// </summary>
    private static Image DecodeWhole(Tiff tiff, Image image, string name)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        int orientation = Lib(name, "its orientation", () => tiff.GetField(TiffTag.ORIENTATION)?[0].ToInt() ?? 1);
        var raster = new int[(long)w * h];
        if (!Lib(name, "its pixels", () => tiff.ReadRGBAImageOriented(w, h, raster, (BitMiracle.LibTiff.Classic.Orientation)orientation)))
            throw new ImageException($"{name}: the TIFF pixel data cannot be decoded (corrupt or truncated).");
        for (int y = 0; y < h; y++) Unpack(raster.AsSpan(y * w, w), image.Pixels.AsSpan(y * w * c, w * c), c);
        return Orientation.Apply(image, orientation);
    }

    /// <summary>Packed ABGR raster values to gray or R G B bytes.</summary>
    private static void Unpack(ReadOnlySpan<int> raster, Span<byte> pixels, int channels)
    {
        for (int i = 0; i < raster.Length; i++)
        {
            int v = raster[i];
            if (channels == 1)
            {
                pixels[i] = (byte)Tiff.GetR(v);
            }
            else
            {
                pixels[3 * i] = (byte)Tiff.GetR(v);
                pixels[3 * i + 1] = (byte)Tiff.GetG(v);
                pixels[3 * i + 2] = (byte)Tiff.GetB(v);
            }
        }
    }

    public static void Encode(Image image, Stream output)
    {
        using (var tiff = Tiff.ClientOpen("output", "w", output, new LeaveOpen())
            ?? throw new ImageException("TIFF output could not be started."))
        {
            tiff.SetField(TiffTag.IMAGEWIDTH, image.Width);
            tiff.SetField(TiffTag.IMAGELENGTH, image.Height);
            tiff.SetField(TiffTag.SAMPLESPERPIXEL, image.Channels);
            tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
            tiff.SetField(TiffTag.PHOTOMETRIC, image.Channels == 1 ? Photometric.MINISBLACK : Photometric.RGB);
            tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
            tiff.SetField(TiffTag.COMPRESSION, Compression.ADOBE_DEFLATE);
            tiff.SetField(TiffTag.ROWSPERSTRIP, 16);
            int rowBytes = image.Width * image.Channels;
            var row = new byte[rowBytes];
            for (int y = 0; y < image.Height; y++)
            {
                Buffer.BlockCopy(image.Pixels, y * rowBytes, row, 0, rowBytes);
                tiff.WriteScanline(row, y);
            }
            tiff.Flush();
        }
    }
}
