using System.Buffers.Binary;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Tests;

public class ImageCodecTests
{
    [Fact]
    public void PngsWithTransparencyDecodeToTheSamePixelsEveryTime()
    {
        // Real clip-art (openclipart-png) that once decoded differently run to run: Skia leaves some pixels of PNGs with
        // alpha unwritten, and the decode buffers come from pools that hold old bytes. RGBA, gray + alpha and palette.
        var clipart = Assets.AssetCache.Fetch(Assets.KnownAssets.OpenClipart);
        foreach (var name in new[] { "transportation/ambulans_romus_01.png", "transportation/old_car_lumen_design_st_r.png", "transportation/cattle.png" })
        {
            string path = clipart["usr/share/openclipart/png/" + name];
            var first = ImageCodec.Load(path);
            for (int round = 0; round < 3; round++)
            {
                // Dirty the pools the decoder rents from.
                var junk = System.Buffers.ArrayPool<byte>.Shared.Rent(first.Width * first.Height * 4);
                Array.Fill(junk, (byte)(round * 80 + 7));
                System.Buffers.ArrayPool<byte>.Shared.Return(junk);
                Assert.True(first.Pixels.AsSpan().SequenceEqual(ImageCodec.Load(path).Pixels), $"{name} decoded differently in round {round}");
            }
        }
    }

    [Fact]
    public void AMirrorSwapsLeftAndRightPixelByPixel()
    {
        byte[] rgb = [1, 2, 3, 4, 5, 6, 7, 8, 9, /* row 2 */ 10, 11, 12, 13, 14, 15, 16, 17, 18];
        var mirrored = new Image(3, 2, 3, rgb).Mirror();
        Assert.Equal([7, 8, 9, 4, 5, 6, 1, 2, 3, 16, 17, 18, 13, 14, 15, 10, 11, 12], mirrored.Pixels);
        Assert.Equal(new byte[] { 3, 2, 1 }, new Image(3, 1, 1, [1, 2, 3]).Mirror().Pixels);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("bmp")]
    [InlineData("tif")]
    [InlineData("webp")]
    public void LosslessFormatsRoundTripExactly(string ext)
    {
        var photo = TestImages.SmallPhoto();
        string path = Path.Combine(TestImages.TempDir(), "x." + ext);
        ImageCodec.Save(photo, path, new ImageSaveOptions { Quality = 100 });
        var back = ImageCodec.Load(path);
        Assert.Equal((photo.Width, photo.Height, photo.Channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(photo.Pixels, back.Pixels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TiffIsReadStripByStripIncludingAShortLastStrip(int channels)
    {
        // 16 rows a strip: 37 rows are two full strips and one of 5, each delivered bottom-up by LibTiff.
        var pixels = new byte[23 * 37 * channels];
        new Random(channels).NextBytes(pixels);
        var image = new Image(23, 37, channels, pixels);
        var back = ImageCodec.Decode(ImageCodec.Encode(image, ImageFormat.Tiff), "strips.tif");
        Assert.Equal((23, 37, channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(pixels, back.Pixels);
    }

    [Fact]
    public void PixelsBecomeTensorValuesExactlyAndBack()
    {
        // Every byte value, in 0..255 and in 0..1, and back through FromTensor.
        var pixels = new byte[256 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i / 3);
        var image = new Image(256, 1, 3, pixels);
        using var raw = image.ToTensor();
        using var unit = image.ToTensor(unitRange: true);
        Assert.Equal(new Shikaku.Tensors.Shape(1, 1, 256, 3), raw.Shape);
        for (int i = 0; i < pixels.Length; i++)
        {
            Assert.Equal(pixels[i], raw.Span[i]);
            Assert.Equal(pixels[i] * (1f / 255f), unit.Span[i]);
        }
        Assert.Equal(pixels, Image.FromTensor(raw).Pixels);
        Assert.Equal(pixels, Image.FromTensor(unit, 255f).Pixels);
    }

    [Fact]
    public void GrayImagesStayGrayInPngTiffAndGif()
    {
        var gray = TestImages.SmallPhoto().ToGray();
        foreach (string ext in new[] { "png", "tif", "gif" })
        {
            string path = Path.Combine(TestImages.TempDir(), "g." + ext);
            ImageCodec.Save(gray, path);
            var back = ImageCodec.Load(path);
            Assert.Equal(gray.Pixels, back.ToGray().Pixels);
        }
    }

    [Fact]
    public void JpegAndGifAreCloseToTheOriginal()
    {
        var photo = TestImages.SmallPhoto();
        foreach (var (ext, tolerance) in new[] { ("jpg", 6.0), ("gif", 12.0) })
        {
            string path = Path.Combine(TestImages.TempDir(), "x." + ext);
            ImageCodec.Save(photo, path);
            var back = ImageCodec.Load(path);
            double meanError = photo.Pixels.Zip(back.Pixels, (a, b) => Math.Abs(a - b)).Average();
            Assert.True(meanError < tolerance, $"{ext}: mean absolute error {meanError:F2} >= {tolerance}");
        }
    }

    [Fact]
    public void DemoPhotoIsDecodedAtItsFullSize()
    {
        var img = ImageCodec.Load(TestImages.Sample(1));
        Assert.Equal((1920, 1280, 3), (img.Width, img.Height, img.Channels));
        Assert.Null(img.Exif); // not kept unless asked
    }

    [Fact]
    public void GpsMetadataIsDroppedUnlessAskedToKeepIt()
    {
        string source = TestImages.Sample(1);
        Assert.True(ContainsAscii(File.ReadAllBytes(source), "Exif"), "the demo photo should carry EXIF");
        string dir = TestImages.TempDir();
        string plain = Path.Combine(dir, "plain.jpg"), kept = Path.Combine(dir, "kept.jpg");
        ImageCodec.Save(ImageCodec.Load(source), plain);
        Assert.False(ContainsAscii(File.ReadAllBytes(plain), "Exif"));
        var withExif = ImageCodec.Load(source, new ImageLoadOptions { KeepMetadata = true });
        Assert.NotNull(withExif.Exif);
        ImageCodec.Save(withExif, kept, new ImageSaveOptions { KeepMetadata = true });
        var reread = ImageCodec.Load(kept, new ImageLoadOptions { KeepMetadata = true });
        Assert.Equal(withExif.Exif, reread.Exif);
        Assert.Equal((1920, 1280), (reread.Width, reread.Height));
    }

    [Theory]
    [InlineData(1, 4, 3, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })]
    [InlineData(6, 3, 4, new byte[] { 9, 5, 1, 10, 6, 2, 11, 7, 3, 12, 8, 4 })]
    [InlineData(3, 4, 3, new byte[] { 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 })]
    [InlineData(8, 3, 4, new byte[] { 4, 8, 12, 3, 7, 11, 2, 6, 10, 1, 5, 9 })]
    [InlineData(2, 4, 3, new byte[] { 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9 })]
    public void ExifOrientationIsApplied(int orientation, int w, int h, byte[] expected)
    {
        // A JPEG of 4x3 flat 8x8 blocks (block k has grey level 20k) stored with an orientation tag, as a camera writes it.
        var px = new byte[32 * 24];
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 32; x++) px[y * 32 + x] = (byte)(20 * (y / 8 * 4 + x / 8 + 1));
        var stored = new Image(32, 24, 1, px) { Exif = OrientationExif(orientation) };
        byte[] jpeg = ImageCodec.Encode(stored, ImageFormat.Jpeg, new ImageSaveOptions { KeepMetadata = true, Quality = 100 });
        var upright = ImageCodec.Decode(jpeg, "camera.jpg");
        Assert.Equal((8 * w, 8 * h), (upright.Width, upright.Height));
        for (int by = 0; by < h; by++)
            for (int bx = 0; bx < w; bx++)
            {
                int centre = upright.Pixels[(by * 8 + 4) * upright.Width + bx * 8 + 4];
                Assert.InRange(centre, 20 * expected[by * w + bx] - 3, 20 * expected[by * w + bx] + 3);
            }
    }

    [Theory]
    [InlineData(1, 4, 3, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })]
    [InlineData(2, 4, 3, new byte[] { 4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9 })]
    [InlineData(3, 4, 3, new byte[] { 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 })]
    [InlineData(4, 4, 3, new byte[] { 9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4 })]
    [InlineData(5, 3, 4, new byte[] { 1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12 })]
    [InlineData(6, 3, 4, new byte[] { 9, 5, 1, 10, 6, 2, 11, 7, 3, 12, 8, 4 })]
    [InlineData(7, 3, 4, new byte[] { 12, 8, 4, 11, 7, 3, 10, 6, 2, 9, 5, 1 })]
    [InlineData(8, 3, 4, new byte[] { 4, 8, 12, 3, 7, 11, 2, 6, 10, 1, 5, 9 })]
    public void TiffOrientationIsAppliedAsExifsIs(int orientation, int w, int h, byte[] expected)
    {
        var upright = ImageCodec.Decode(OrientedTiff(orientation), "camera.tif");
        Assert.Equal((8 * w, 8 * h), (upright.Width, upright.Height));
        for (int by = 0; by < h; by++)
            for (int bx = 0; bx < w; bx++)
                Assert.Equal(20 * expected[by * w + bx], upright.Pixels[(by * 8 + 4) * upright.Width + bx * 8 + 4]);
    }

    /// <summary>The 4x3 blocks of 8x8 grey (block k at 20k) as a TIFF with an Orientation tag, as a scanner or a camera writes it.</summary>
    private static byte[] OrientedTiff(int orientation)
    {
        using var stream = new MemoryStream();
        using (var tiff = BitMiracle.LibTiff.Classic.Tiff.ClientOpen("camera.tif", "w", stream, new BitMiracle.LibTiff.Classic.TiffStream()))
        {
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGEWIDTH, 32);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.IMAGELENGTH, 24);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.BITSPERSAMPLE, 8);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.SAMPLESPERPIXEL, 1);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.PHOTOMETRIC, BitMiracle.LibTiff.Classic.Photometric.MINISBLACK);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.PLANARCONFIG, BitMiracle.LibTiff.Classic.PlanarConfig.CONTIG);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.ROWSPERSTRIP, 24);
            tiff.SetField(BitMiracle.LibTiff.Classic.TiffTag.ORIENTATION, (BitMiracle.LibTiff.Classic.Orientation)orientation);
            var row = new byte[32];
            for (int y = 0; y < 24; y++)
            {
                for (int x = 0; x < 32; x++) row[x] = (byte)(20 * (y / 8 * 4 + x / 8 + 1));
                tiff.WriteScanline(row, y);
            }
            tiff.WriteDirectory();
        }
        return stream.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(65535)]
    public void ATiffOrientationNoCameraWritesIsAClearErrorNamingTheFile(int lie)
    {
        // LibTiff refuses to write such a value, so the tag of an upright file is changed in its bytes (little-endian
        // IFD entry: tag 0x0112, type SHORT, count 1, then the value).
        var bytes = OrientedTiff(1);
        int at = bytes.AsSpan().IndexOf(new byte[] { 0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0 });
        Assert.True(at > 0, "the Orientation entry is in the file");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 8), (ushort)lie);
        var e = Assert.Throws<ImageException>(() => ImageCodec.Decode(bytes, "lying.tif"));
        Assert.StartsWith("lying.tif: ", e.Message);
        Assert.Contains("\"Orientation\"", e.Message);
    }

    /// <summary>A little-endian TIFF block with one IFD entry: Orientation (0x0112, SHORT) = value.</summary>
    private static byte[] OrientationExif(int value)
    {
        var b = new byte[26];
        b[0] = b[1] = (byte)'I';
        b[2] = 42;
        b[4] = 8;
        b[8] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(10), 0x0112);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(12), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), (ushort)value);
        return b;
    }

    [Fact]
    public void TruncatedAndCorruptFilesGiveClearErrors()
    {
        byte[] jpeg = File.ReadAllBytes(TestImages.Sample(2));
        var truncated = Assert.Throws<ImageException>(() => ImageCodec.Decode(jpeg[..(jpeg.Length / 2)], "half.jpg"));
        Assert.Contains("truncated", truncated.Message);
        var garbage = Assert.Throws<ImageException>(() => ImageCodec.Decode("this is not an image"u8.ToArray(), "notes.png"));
        Assert.Contains("not a supported image", garbage.Message);
        var empty = Assert.Throws<ImageException>(() => ImageCodec.Decode([], "empty.png"));
        Assert.Contains("empty", empty.Message);
        var tiff = Assert.Throws<ImageException>(() => ImageCodec.Decode([(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1], "bad.tif"));
        Assert.StartsWith("bad.tif", tiff.Message);
    }

    [Fact]
    public void DecompressionBombIsRefusedFromTheHeaderAlone()
    {
        // A valid PNG header that claims 100000 x 100000 pixels (10 gigapixels) and holds almost no data.
        byte[] png = ImageCodec.Encode(new Image(1, 1, 1, [0]), ImageFormat.Png);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 100_000);
        FixIhdrCrc(png);
        var e = Assert.Throws<ImageException>(() => ImageCodec.Decode(png, "bomb.png"));
        Assert.Contains("over the limit of 100 megapixels", e.Message);
        var small = Assert.Throws<ImageException>(() => ImageCodec.Load(TestImages.Sample(1), new ImageLoadOptions { MaxPixels = 1_000_000 }));
        Assert.Contains("--max-pixels", small.Message);
    }

    [Fact]
    public void AnExistingOutputIsNeverReplacedWithoutOverwrite()
    {
        string path = Path.Combine(TestImages.TempDir(), "keep.png");
        File.WriteAllText(path, "precious");
        var img = new Image(2, 2, 1, [0, 1, 2, 3]);
        var e = Assert.Throws<ImageException>(() => ImageCodec.Save(img, path));
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal("precious", File.ReadAllText(path));
        ImageCodec.Save(img, path, new ImageSaveOptions { Overwrite = true });
        Assert.Equal(img.Pixels, ImageCodec.Load(path).Pixels);
        Assert.Throws<ImageException>(() => ImageCodec.Save(img, Path.Combine(TestImages.TempDir(), "x.xyz")));
    }

    private static bool ContainsAscii(byte[] data, string text) => data.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(text)) >= 0;

    private static void FixIhdrCrc(byte[] png)
    {
        uint c = 0xFFFFFFFFu;
        for (int i = 12; i < 29; i++)
        {
            c ^= png[i];
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), c ^ 0xFFFFFFFFu);
    }
}
