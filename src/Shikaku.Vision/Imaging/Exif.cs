using System.Buffers.Binary;

namespace Shikaku.Vision.Imaging;

/// <summary>
/// Finds, neutralises and re-inserts an EXIF block (TIFF-structured "Exif\0\0" payload). Only used when
/// the user asks to keep metadata; by default nothing is copied.
/// </summary>
internal static class Exif
{
    private static ReadOnlySpan<byte> Header => "Exif\0\0"u8;

    /// <summary>The TIFF-structured EXIF payload of a JPEG (APP1) or PNG (eXIf), orientation set to 1; or null.</summary>
    public static byte[]? Extract(byte[] file)
    {
        byte[]? tiff = null;
        if (file.Length > 4 && file[0] == 0xFF && file[1] == 0xD8)
        {
            int p = 2;
            while (p + 4 <= file.Length && file[p] == 0xFF)
            {
                byte marker = file[p + 1];
                if (marker == 0xDA || marker == 0xD9) break;
                int len = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(p + 2));
                if (len < 2 || p + 2 + len > file.Length) break;
                var payload = file.AsSpan(p + 4, len - 2);
                if (marker == 0xE1 && payload.StartsWith(Header)) { tiff = payload[Header.Length..].ToArray(); break; }
                p += 2 + len;
            }
        }
        else if (file.Length > 8 && file[0] == 0x89 && file[1] == (byte)'P')
        {
            int p = 8;
            while (p + 12 <= file.Length)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(p));
                if (len < 0 || (long)p + 12 + len > file.Length) break; // 64-bit: a lying length near 2^31 wrapped past the check
                if (file.AsSpan(p + 4, 4).SequenceEqual("eXIf"u8)) { tiff = file.AsSpan(p + 8, len).ToArray(); break; }
                p += 12 + len;
            }
        }
        if (tiff != null) ResetOrientation(tiff);
        return tiff;
    }

    /// <summary>Sets tag 0x0112 (Orientation) in IFD0 to 1: the pixels are already upright.</summary>
    private static void ResetOrientation(byte[] tiff)
    {
        if (tiff.Length < 8) return;
        bool little = tiff[0] == 'I';
        int Read16(int o) => little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff.AsSpan(o)) : BinaryPrimitives.ReadUInt16BigEndian(tiff.AsSpan(o));
        int ifd = little ? BinaryPrimitives.ReadInt32LittleEndian(tiff.AsSpan(4)) : BinaryPrimitives.ReadInt32BigEndian(tiff.AsSpan(4));
        if (ifd < 8 || (long)ifd + 2 > tiff.Length) return;
        int count = Read16(ifd);
        for (int i = 0; i < count; i++)
        {
            int entry = ifd + 2 + 12 * i;
            if (entry + 12 > tiff.Length) return;
            if (Read16(entry) == 0x0112)
            {
                if (little) BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry + 8), 1);
                else BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(entry + 8), 1);
            }
        }
    }

    /// <summary>The largest EXIF block a JPEG's APP1 segment holds (its 16-bit length counts itself and the header).</summary>
    public static int MaxJpegExif => 0xFFFF - 2 - Header.Length;

    public static byte[] InsertIntoJpeg(byte[] jpeg, byte[] exif)
    {
        int len = 2 + Header.Length + exif.Length;
        if (exif.Length > MaxJpegExif) throw new ImageException($"The EXIF block is {exif.Length:N0} bytes, more than a JPEG APP1 segment holds ({MaxJpegExif:N0}).");
        using var s = new MemoryStream(jpeg.Length + len + 2);
        s.Write(jpeg, 0, 2);
        s.WriteByte(0xFF);
        s.WriteByte(0xE1);
        s.WriteByte((byte)(len >> 8));
        s.WriteByte((byte)len);
        s.Write(Header);
        s.Write(exif);
        s.Write(jpeg, 2, jpeg.Length - 2);
        return s.ToArray();
    }

    public static byte[] InsertIntoPng(byte[] png, byte[] exif)
    {
        // After the IHDR chunk (8-byte signature + 25-byte IHDR).
        const int at = 8 + 25;
        using var s = new MemoryStream(png.Length + exif.Length + 12);
        s.Write(png, 0, at);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, exif.Length);
        s.Write(word);
        var typeAndData = new byte[4 + exif.Length];
        "eXIf"u8.CopyTo(typeAndData);
        exif.CopyTo(typeAndData, 4);
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        s.Write(word);
        s.Write(png, at, png.Length - at);
        return s.ToArray();
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    /// <summary>The CRC-32 that PNG chunks carry.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
