using BitMiracle.LibTiff.Classic;

namespace Shikaku.Vision.Imaging;

/// <summary>TIFF through LibTiff.NET: any TIFF it can read as RGBA (orientation applied); writes 8-bit Deflate TIFF.</summary>
internal static class TiffCodec
{
    static TiffCodec() => Tiff.SetErrorHandler(new QuietHandler());

    /// <summary>Turns LibTiff's console messages into exceptions (errors) or silence (warnings).</summary>
    private sealed class QuietHandler : TiffErrorHandler
    {
        public override void ErrorHandler(Tiff tif, string method, string format, params object[] args) =>
            throw new ImageException("TIFF: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public override void ErrorHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
        public override void WarningHandler(Tiff tif, string method, string format, params object[] args) { }
        public override void WarningHandlerExt(Tiff tif, object clientData, string method, string format, params object[] args) { }
    }

    public static Image Decode(byte[] bytes, string name, ImageLoadOptions options)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var tiff = Tiff.ClientOpen(name, "r", stream, new TiffStream())
                ?? throw new ImageException($"{name}: the TIFF header is corrupt.");
            int w = tiff.GetField(TiffTag.IMAGEWIDTH)?[0].ToInt() ?? 0;
            int h = tiff.GetField(TiffTag.IMAGELENGTH)?[0].ToInt() ?? 0;
            ImageCodec.CheckSize(name, w, h, options.MaxPixels);
            var raster = new int[w * h];
            if (!tiff.ReadRGBAImageOriented(w, h, raster, BitMiracle.LibTiff.Classic.Orientation.TOPLEFT))
                throw new ImageException($"{name}: the TIFF pixel data cannot be decoded (corrupt or truncated).");
            int spp = tiff.GetField(TiffTag.SAMPLESPERPIXEL)?[0].ToInt() ?? 1;
            var photometric = (Photometric)(tiff.GetField(TiffTag.PHOTOMETRIC)?[0].ToInt() ?? 1);
            bool gray = spp == 1 && photometric is Photometric.MINISBLACK or Photometric.MINISWHITE;
            var pixels = new byte[w * h * (gray ? 1 : 3)];
            for (int i = 0; i < raster.Length; i++)
            {
                int v = raster[i];
                if (gray)
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
            return new Image(w, h, gray ? 1 : 3, pixels);
        }
        catch (ImageException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new ImageException($"{name}: {e.Message}; the file is corrupt or truncated.", e);
        }
    }

    public static byte[] Encode(Image image)
    {
        using var stream = new MemoryStream();
        using (var tiff = Tiff.ClientOpen("output", "w", stream, new TiffStream()))
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
        return stream.ToArray();
    }
}
