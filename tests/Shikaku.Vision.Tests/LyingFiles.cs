using System.Buffers.Binary;
using System.IO.Compression;

namespace Shikaku.Vision.Tests;

/// <summary>Small, well-formed files whose headers claim a size their data never holds.</summary>
internal static class LyingFiles
{
    /// <summary>A valid PNG (signature, IHDR with the claimed size, a tiny IDAT, IEND, every CRC right) of 8-bit RGBA.</summary>
    public static byte[] Png(uint width, uint height, byte colorType = 6)
    {
        using var s = new MemoryStream();
        s.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colorType;
        Chunk(s, "IHDR", ihdr);
        Chunk(s, "IDAT", Zlib(new byte[64]));
        Chunk(s, "IEND", []);
        return s.ToArray();
    }

    public static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(typed, 0);
        data.CopyTo(typed.AsSpan(4));
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        s.Write(word);
    }

    public static byte[] Zlib(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(data);
        return output.ToArray();
    }

    /// <summary>
    /// A little-endian TIFF whose one IFD claims width x height 8-bit RGB pixels (uncompressed, one strip of
    /// <paramref name="rowsPerStrip"/> rows, default all) while the file holds 16 bytes of pixel data.
    /// </summary>
    public static byte[] Tiff(uint width, uint height, uint? rowsPerStrip = null)
    {
        var b = new byte[8 + 2 + 10 * 12 + 4 + 6 + 16];
        b[0] = b[1] = (byte)'I';
        b[2] = 42;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 8);
        int bitsAt = 8 + 2 + 10 * 12 + 4, dataAt = bitsAt + 6;
        (ushort Tag, ushort Type, uint Count, uint Value)[] tags =
        [
            (256, 4, 1, width), (257, 4, 1, height), (258, 3, 3, (uint)bitsAt), (259, 3, 1, 1), (262, 3, 1, 2),
            (273, 4, 1, (uint)dataAt), (277, 3, 1, 3), (278, 4, 1, rowsPerStrip ?? height), (279, 4, 1, 16), (284, 3, 1, 1),
        ];
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)tags.Length);
        for (int i = 0; i < tags.Length; i++)
        {
            var e = b.AsSpan(10 + 12 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, tags[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], tags[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], tags[i].Count);
            if (tags[i].Type == 3 && tags[i].Count == 1) BinaryPrimitives.WriteUInt16LittleEndian(e[8..], (ushort)tags[i].Value);
            else BinaryPrimitives.WriteUInt32LittleEndian(e[8..], tags[i].Value);
        }
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(bitsAt + 2 * i), 8);
        return b;
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 that PNG chunks carry (over type and data).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte x in data) c = CrcTable[(c ^ x) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
