using System.Buffers.Binary;
using System.Diagnostics;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Tests;

/// <summary>
/// A corpus made on the fly from small real images of every format: truncated, bytes flipped, random
/// bytes behind a valid signature, headers that lie about the size. Each either decodes to a sane image or
/// throws an ImageException: never another exception, never a crash, never more than a few seconds.
/// </summary>
public class HostileImageTests(Xunit.Abstractions.ITestOutputHelper log)
{
    public static TheoryData<ImageFormat> Formats => new(Enum.GetValues<ImageFormat>());

    /// <summary>A small image with detail (gradients and noise); JPEG and PNG carry an EXIF block (orientation 6, turn right).</summary>
    private static byte[] RealFile(ImageFormat format)
    {
        var random = new Random(7);
        var pixels = new byte[40 * 28 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i % 120 + random.Next(60));
        byte[] exif = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
        var image = new Image(40, 28, 3, pixels) { Exif = exif };
        bool keep = format is ImageFormat.Jpeg or ImageFormat.Png;
        return ImageCodec.Encode(image, format, new ImageSaveOptions { KeepMetadata = keep });
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryDamagedFileDecodesSanelyOrGivesAnImageException(ImageFormat format)
    {
        byte[] real = RealFile(format);
        var original = Decode(real, new ImageLoadOptions());
        Assert.Equal(40 * 28, original?.Width * original?.Height); // JPEG and PNG turned upright by their EXIF orientation (6)
        var failures = new List<string>();
        int decoded = 0, refused = 0;
        (string Name, double Seconds) slowest = ("", 0);
        foreach (var (name, bytes, options) in Corpus(format, real))
        {
            var sw = Stopwatch.StartNew();
            try
            {
                var image = Decode(bytes, options);
                if (image == null) refused++;
                else decoded++;
                if (image != null && (image.Width < 1 || image.Height < 1 || image.Pixels.Length != (long)image.Width * image.Height * image.Channels))
                    failures.Add($"{name}: decoded to an inconsistent {image.Width}x{image.Height}x{image.Channels} image");
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
            }
            if (sw.Elapsed.TotalSeconds > slowest.Seconds) slowest = (name, sw.Elapsed.TotalSeconds);
            if (sw.Elapsed > TimeSpan.FromSeconds(5)) failures.Add($"{name}: took {sw.Elapsed.TotalSeconds:0.0} s");
        }
        Assert.True(failures.Count == 0, $"{format}: {failures.Count} case(s) failed:\n" + string.Join("\n", failures.Take(20)));
        log.WriteLine($"{format}: {decoded} damaged files decoded, {refused} refused with an ImageException; slowest: {slowest.Name}, {slowest.Seconds:0.00} s");
        Assert.True(refused > 0 && decoded > 0, "the corpus should hold both kinds");
    }

    /// <summary>The image, or null for an ImageException whose message names the input; anything else propagates.</summary>
    private static Image? Decode(byte[] bytes, ImageLoadOptions options)
    {
        try
        {
            return ImageCodec.Decode(bytes, "hostile", options);
        }
        catch (ImageException e) when (e.Message.StartsWith("hostile", StringComparison.Ordinal))
        {
            HostileFindingsTests.AssertPlainWords(e.Message);
            return null;
        }
    }

    private static IEnumerable<(string Name, byte[] Bytes, ImageLoadOptions Options)> Corpus(ImageFormat format, byte[] real)
    {
        var plain = new ImageLoadOptions();
        var keep = new ImageLoadOptions { KeepMetadata = true };
        var unlimited = new ImageLoadOptions { MaxPixels = long.MaxValue, KeepMetadata = true };
        yield return ("zero-length", [], plain);
        foreach (int length in new[] { 1, 2, 3, 4, 7, 8, 12, 16, 24, 33, 50, 100, real.Length / 4, real.Length / 2, real.Length * 3 / 4, real.Length - 2, real.Length - 1 }
                     .Where(n => n > 0 && n < real.Length).Distinct())
        {
            yield return ($"truncated to {length} bytes", real[..length], keep);
        }
        var random = new Random(2024);
        for (int i = 0; i < 150; i++)
        {
            var bytes = (byte[])real.Clone();
            int flips = 1 + i % 8;
            // A third of the flips land in the first 64 bytes, where the headers are, a third in the last 200
            // (TIFF's IFD, GIF's trailer), the rest anywhere.
            for (int f = 0; f < flips; f++)
            {
                int at = (i % 3) switch
                {
                    0 => random.Next(Math.Min(64, bytes.Length)),
                    1 => bytes.Length - 1 - random.Next(Math.Min(200, bytes.Length)),
                    _ => random.Next(bytes.Length),
                };
                bytes[at] ^= (byte)(1 << random.Next(8));
            }
            yield return ($"flip {i} ({flips} bits)", bytes, i % 2 == 0 ? keep : unlimited);
        }
        foreach (int signature in new[] { 2, 4, 8, 16 })
            for (int seed = 0; seed < 5; seed++)
            {
                var bytes = new byte[seed % 2 == 0 ? real.Length : 4096];
                new Random(seed).NextBytes(bytes);
                real.AsSpan(0, signature).CopyTo(bytes);
                yield return ($"random after a {signature}-byte signature (seed {seed})", bytes, keep);
            }
        foreach (var (name, bytes) in LyingHeaders(format, real))
        {
            yield return (name, bytes, plain);
            yield return (name + ", no pixel limit", bytes, unlimited);
        }
    }

    /// <summary>The real file with its stored width and height replaced by sizes it does not hold.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> LyingHeaders(ImageFormat format, byte[] real)
    {
        (uint W, uint H)[] sizes = [(65535, 65535), (30000, 1), (1, 30000), (5000, 4000), (0, 28), (40, 0), (uint.MaxValue, uint.MaxValue), (0x80000000, 2)];
        foreach (var (w, h) in sizes)
        {
            var b = (byte[])real.Clone();
            bool patched = format switch
            {
                ImageFormat.Png => PatchPng(b, w, h),
                ImageFormat.Jpeg => PatchJpeg(b, w, h),
                ImageFormat.Bmp => Patch(b, 18, w, h, littleEndian: true, 4),
                ImageFormat.Gif => Patch(b, 6, w, h, littleEndian: true, 2) && Patch(b, 13 + 768 + 5, w, h, littleEndian: true, 2),
                ImageFormat.Webp => PatchWebp(b, w, h),
                _ => PatchTiff(b, w, h),
            };
            if (patched) yield return ($"header claims {w}x{h}", b);
        }
        if (format == ImageFormat.Png)
            foreach (var (w, h) in sizes) yield return ($"minimal PNG claiming {w}x{h}", LyingFiles.Png(w, h));
        if (format == ImageFormat.Tiff)
            foreach (var (w, h) in sizes.Where(s => (long)s.W * s.H < 30_000_000 || (long)s.W * s.H > ImageCodec.MaxDecodablePixels))
                yield return ($"minimal TIFF claiming {w}x{h}", LyingFiles.Tiff(w, h));
        if (format == ImageFormat.Png)
        {
            // A chunk length just under 2^31 (Skia refuses it before the EXIF reader, which checks in 64 bits too).
            var b = (byte[])real.Clone();
            int exif = b.AsSpan().IndexOf("eXIf"u8);
            BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(exif - 4), int.MaxValue - 16);
            yield return ("eXIf chunk length 2^31 - 17", b);
        }
        if (format == ImageFormat.Bmp)
        {
            // Bottom-up and top-down (negative height) BMPs with sizes past every limit.
            var b = (byte[])real.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), int.MinValue);
            yield return ("height int.MinValue", b);
        }
    }

    private static bool Patch(byte[] b, int at, uint w, uint h, bool littleEndian, int size)
    {
        if (at + 2 * size > b.Length) return false;
        for (int i = 0; i < 2; i++)
        {
            uint v = i == 0 ? w : h;
            var span = b.AsSpan(at + i * size, size);
            if (size == 2 && littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)Math.Min(v, ushort.MaxValue));
            else if (size == 2) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)Math.Min(v, ushort.MaxValue));
            else if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(span, v);
            else BinaryPrimitives.WriteUInt32BigEndian(span, v);
        }
        return true;
    }

    private static bool PatchPng(byte[] b, uint w, uint h)
    {
        Patch(b, 16, w, h, littleEndian: false, 4);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(29), LyingFiles.Crc32(b.AsSpan(12, 17)));
        return true;
    }

    /// <summary>SOF0/SOF2 segment: FF C0|C2, length (2), precision (1), height (2), width (2).</summary>
    internal static bool PatchJpeg(byte[] b, uint w, uint h)
    {
        for (int p = 2; p + 9 < b.Length; p++)
            if (b[p] == 0xFF && b[p + 1] is 0xC0 or 0xC2)
                return Patch(b, p + 5, h, w, littleEndian: false, 2);
        return false;
    }

    /// <summary>VP8L: 14-bit width-1 and height-1 after the signature byte; VP8: 14-bit sizes after the start code.</summary>
    private static bool PatchWebp(byte[] b, uint w, uint h)
    {
        uint cw = Math.Clamp(w, 1, 16384), ch = Math.Clamp(h, 1, 16384);
        if (b.AsSpan(12, 4).SequenceEqual("VP8L"u8))
        {
            uint bits = (cw - 1) | (ch - 1) << 14 | (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(21)) & 0xF0000000u);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(21), bits);
            return true;
        }
        int start = b.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x9D, 0x01, 0x2A]);
        if (start < 0 || start + 7 > b.Length) return false;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(start + 3), (ushort)Math.Min(cw, 16383));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(start + 5), (ushort)Math.Min(ch, 16383));
        return true;
    }

    /// <summary>The first IFD's ImageWidth (256) and ImageLength (257), SHORT or LONG (little-endian, as Shikaku writes).</summary>
    private static bool PatchTiff(byte[] b, uint w, uint h)
    {
        int ifd = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(ifd));
        bool any = false;
        for (int i = 0; i < count; i++)
        {
            var e = b.AsSpan(ifd + 2 + 12 * i, 12);
            ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(e), type = BinaryPrimitives.ReadUInt16LittleEndian(e[2..]);
            if (tag is not (256 or 257)) continue;
            uint v = tag == 256 ? w : h;
            if (type == 3) BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)Math.Min(v, ushort.MaxValue));
            else BinaryPrimitives.WriteUInt32LittleEndian(e[8..], v);
            any = true;
        }
        return any;
    }
}
