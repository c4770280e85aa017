using System.Buffers.Binary;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Tests;

/// <summary>
/// Files a fuzzing run found wrong answers for: TIFF directories that made LibTiff.NET fail inside itself
/// (and the message repeat .NET's words) or allocate gigabytes, JPEG-in-TIFF garbage decoded to black,
/// a few kilobytes of JPEG decoded to 100 megapixels of grey, formats Skia reads that Shikaku does not say
/// it reads. Each is refused with an ImageException naming the file and the fault.
/// </summary>
public class HostileFindingsTests
{
    /// <summary>A message for a person: no .NET exception names or runtime phrases in it.</summary>
    internal static void AssertPlainWords(string message)
    {
        foreach (string runtime in new[] { "Exception", "Object reference", "Index was outside", "Unable to cast", "Arithmetic operation", "Non-negative number" })
            Assert.False(message.Contains(runtime, StringComparison.Ordinal), $"the message repeats the runtime's words ({runtime}): {message}");
    }

    private static string Refusal(byte[] bytes)
    {
        var e = Assert.Throws<ImageException>(() => ImageCodec.Decode(bytes, "found.bin", new ImageLoadOptions { KeepMetadata = true }));
        Assert.StartsWith("found.bin: ", e.Message);
        AssertPlainWords(e.Message);
        return e.Message;
    }

    private record Entry(ushort Tag, ushort Type, uint Count, uint Value);

    /// <summary>
    /// A little-endian 2x2 8-bit RGB TIFF (one uncompressed strip of 12 bytes), its entries changed by
    /// <paramref name="change"/>: an entry replaced (same tag), added, or with Type 0 removed.
    /// </summary>
    private static byte[] Tiff(params Entry[] change)
    {
        var entries = new List<Entry>
        {
            new(256, 3, 1, 2), new(257, 3, 1, 2), new(258, 3, 3, 0 /* offset, set below */), new(259, 3, 1, 1), new(262, 3, 1, 2),
            new(273, 4, 1, 0 /* offset */), new(277, 3, 1, 3), new(278, 3, 1, 2), new(279, 4, 1, 12), new(284, 3, 1, 1),
        };
        foreach (var c in change)
        {
            entries.RemoveAll(e => e.Tag == c.Tag);
            if (c.Type != 0) entries.Add(c);
        }
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        int bitsAt = 8 + 2 + 12 * entries.Count + 4, dataAt = bitsAt + 6;
        var b = new byte[dataAt + 16];
        b[0] = b[1] = (byte)'I';
        b[2] = 42;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            var (tag, type, count, value) = entries[i];
            if (value == 0 && tag == 258 && count == 3) value = (uint)bitsAt;
            if (value == 0 && tag == 273) value = (uint)dataAt;
            var e = b.AsSpan(10 + 12 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], type);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], count);
            if (type == 3 && count <= 2) BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)value);
            else BinaryPrimitives.WriteUInt32LittleEndian(e[8..], value);
        }
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(bitsAt + 2 * i), 8);
        for (int i = 0; i < 16; i++) b[dataAt + i] = (byte)(10 * i + 5);
        return b;
    }

    [Fact]
    public void TheTiffTheCasesChangeDecodes()
    {
        var image = ImageCodec.Decode(Tiff(), "found.bin");
        Assert.Equal((2, 2, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (byte)(10 * i + 5)), image.Pixels);
    }

    public static TheoryData<string, string> TiffCases => new()
    {
        { "ImageDescription of 2^31 - 1 characters", "tag 270 claims 2,147,483,647 values" },
        { "XMP packet of 2^31 - 1 bytes", "tag 700" },
        { "StripOffsets at 2^31", "strip 0 is said to hold 12 bytes at byte 2,147,483,648" },
        { "StripOffsets as text", "StripOffsets has field type 2" },
        { "ImageWidth as a double", "ImageWidth has field type 12" },
        { "ImageWidth of an unknown type", "ImageWidth has field type 99" },
        { "BitsPerSample 65535", "BitsPerSample is 65535" },
        { "YCbCr with one sample", "needs at least 3 samples" },
        { "CIELab with one sample", "needs at least 3 samples" },
        { "palette without a colour map", "ColorMap" },
        { "tiles of 2^32 - 1 pixels", "TileWidth is 4,294,967,295" },
        { "StripByteCounts of 2^30 values", "StripByteCounts" },
        { "no StripOffsets value", "holds no value" },
        { "first directory past the end", "first image directory" },
        { "JPEG-compressed strip of garbage", "the TIFF pixel data cannot be decoded (" },
    };

    private static byte[] TiffCase(string name) => name switch
    {
        "ImageDescription of 2^31 - 1 characters" => Tiff(new Entry(270, 2, 0x7FFFFFFF, 8)),
        "XMP packet of 2^31 - 1 bytes" => Tiff(new Entry(700, 1, 0x7FFFFFFF, 8)),
        "StripOffsets at 2^31" => Tiff(new Entry(273, 4, 1, 0x80000000)),
        "StripOffsets as text" => Tiff(new Entry(273, 2, 1, 0x41)),
        "ImageWidth as a double" => Tiff(new Entry(256, 12, 1, 8)),
        "ImageWidth of an unknown type" => Tiff(new Entry(256, 99, 1, 2)),
        "BitsPerSample 65535" => Tiff(new Entry(258, 3, 1, 65535)),
        "YCbCr with one sample" => Tiff(new Entry(262, 3, 1, 6), new Entry(277, 3, 1, 1), new Entry(258, 3, 1, 8)),
        "CIELab with one sample" => Tiff(new Entry(262, 3, 1, 8), new Entry(277, 3, 1, 1), new Entry(258, 3, 1, 8)),
        "palette without a colour map" => Tiff(new Entry(262, 3, 1, 3), new Entry(277, 3, 1, 1), new Entry(258, 3, 1, 8)),
        "tiles of 2^32 - 1 pixels" => Tiff(new Entry(322, 4, 1, uint.MaxValue), new Entry(323, 3, 1, 16)),
        "StripByteCounts of 2^30 values" => Tiff(new Entry(279, 4, 0x40000000, 8)),
        "no StripOffsets value" => Tiff(new Entry(273, 4, 0, 0)),
        "first directory past the end" => FirstDirectoryAt(Tiff(), 0x7FFFFFF0),
        _ => Tiff(new Entry(259, 3, 1, 7)), // new-style JPEG, the strip's bytes are not a JPEG stream
    };

    private static byte[] FirstDirectoryAt(byte[] tiff, uint offset)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), offset);
        return tiff;
    }

    [Theory]
    [MemberData(nameof(TiffCases))]
    public void DamagedTiffDirectoriesAreRefusedByName(string name, string expected)
    {
        string message = Refusal(TiffCase(name));
        Assert.Contains(expected, message);
    }

    [Fact]
    public void AFewKilobytesOfJpegClaimingTenThousandSquareAreRefused()
    {
        var random = new Random(3);
        var pixels = new byte[64 * 64 * 3];
        random.NextBytes(pixels);
        byte[] jpeg = ImageCodec.Encode(new Image(64, 64, 3, pixels), ImageFormat.Jpeg);
        Assert.True(HostileImageTests.PatchJpeg(jpeg, 10000, 10000));
        byte[] cut = [.. jpeg[..(jpeg.Length * 2 / 3)], 0xFF, 0xD9]; // truncated, then an end marker so libjpeg only warns
        string message = Refusal(cut);
        Assert.Contains("claims 10000x10000", message);
    }

    [Fact]
    public void ALargeUniformJpegStillDecodes()
    {
        var grey = new Image(4000, 3000, 3, Enumerable.Repeat((byte)90, 4000 * 3000 * 3).ToArray());
        byte[] jpeg = ImageCodec.Encode(grey, ImageFormat.Jpeg, new ImageSaveOptions { Quality = 50 });
        var back = ImageCodec.Decode(jpeg, "grey.jpg");
        Assert.Equal((4000, 3000), (back.Width, back.Height));
        Assert.InRange(back.Pixels[back.Pixels.Length / 2], 85, 95);
    }

    [Fact]
    public void WbmpAndIcoAreRefusedThoughSkiaReadsThem()
    {
        byte[] wbmp = [0, 0, 8, 2, 0xFF, 0x00];
        Assert.Contains("WBMP", Refusal(wbmp));
        var png = ImageCodec.Encode(new Image(4, 4, 3, new byte[48]), ImageFormat.Png);
        var ico = new byte[22 + png.Length];
        ico[2] = 1; // icon
        ico[4] = 1; // one image
        ico[6] = ico[7] = 4; // 4x4
        ico[10] = 1; // planes
        ico[12] = 32; // bits
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(14), png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(18), 22);
        png.CopyTo(ico, 22);
        Assert.Contains("ICO", Refusal(ico));
    }

    [Fact]
    public void AnExifBlockTooLargeForJpegIsRefusedNamingTheFileBeforeAnythingIsWritten()
    {
        string folder = Directory.CreateTempSubdirectory("shikaku-exif").FullName;
        try
        {
            string path = Path.Combine(folder, "out.jpg");
            var image = new Image(4, 4, 3, new byte[48]) { Exif = new byte[70_000] };
            var e = Assert.Throws<ImageException>(() => ImageCodec.Save(image, path, new ImageSaveOptions { KeepMetadata = true }));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains("70,000 bytes", e.Message);
            Assert.Empty(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
