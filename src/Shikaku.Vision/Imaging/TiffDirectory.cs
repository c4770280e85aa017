using System.Buffers.Binary;

namespace Shikaku.Vision.Imaging;

/// <summary>
/// Checks a classic TIFF's first image directory before LibTiff.NET reads it. LibTiff.NET trusts the
/// file's counts, offsets and types: a tag claiming 2^31 values makes it allocate gigabytes, an offset
/// past the end or a tag of the wrong type makes it fail inside itself. Every entry here must lie inside
/// the file, the tags that describe the pixels must have an integer type and values the RGBA reader can
/// use, so that what reaches LibTiff.NET is at worst damaged pixel data, which it reports.
/// </summary>
internal static class TiffDirectory
{
    private const ushort ImageWidth = 256, ImageLength = 257, BitsPerSample = 258, Compression = 259, Photometric = 262,
        StripOffsets = 273, SamplesPerPixel = 277, RowsPerStrip = 278, StripByteCounts = 279, PlanarConfig = 284,
        TileWidth = 322, TileLength = 323, TileOffsets = 324, TileByteCounts = 325, ColorMap = 320;

    private static readonly ushort[] IntegerTags =
        [ImageWidth, ImageLength, BitsPerSample, Compression, Photometric, StripOffsets, SamplesPerPixel, RowsPerStrip,
         StripByteCounts, PlanarConfig, TileWidth, TileLength, TileOffsets, TileByteCounts, ColorMap];

    /// <summary>Bytes per value of each TIFF field type (1 to 13); 0 for types LibTiff skips.</summary>
    private static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1,
        3 or 8 => 2,
        4 or 9 or 11 or 13 => 4,
        5 or 10 or 12 => 8,
        _ => 0,
    };

    private static string TagName(ushort tag) => tag switch
    {
        ImageWidth => "ImageWidth", ImageLength => "ImageLength", BitsPerSample => "BitsPerSample", Compression => "Compression",
        Photometric => "PhotometricInterpretation", StripOffsets => "StripOffsets", SamplesPerPixel => "SamplesPerPixel",
        RowsPerStrip => "RowsPerStrip", StripByteCounts => "StripByteCounts", PlanarConfig => "PlanarConfiguration",
        TileWidth => "TileWidth", TileLength => "TileLength", TileOffsets => "TileOffsets", TileByteCounts => "TileByteCounts",
        ColorMap => "ColorMap", _ => $"tag {tag}",
    };

    /// <summary>Throws an <see cref="ImageException"/> naming the first entry that cannot be what it says.</summary>
    public static void Check(byte[] file, string name)
    {
        bool little = file[0] == 'I';
        uint U16(int at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(at)) : BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at));
        uint U32(int at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
        if (file.Length < 8) throw Corrupt(name, "the header is cut short");
        long ifd = U32(4);
        if (ifd < 8 || ifd + 2 > file.Length) throw Corrupt(name, $"its first image directory is said to start at byte {ifd:N0}, outside the {file.Length:N0}-byte file");
        int count = (int)U16((int)ifd);
        if (ifd + 2 + 12L * count > file.Length) throw Corrupt(name, $"its image directory of {count} entries runs past the end of the file");
        var values = new Dictionary<ushort, uint[]>();
        for (int i = 0; i < count; i++)
        {
            int entry = (int)ifd + 2 + 12 * i;
            ushort tag = (ushort)U16(entry), type = (ushort)U16(entry + 2);
            long n = U32(entry + 4);
            int size = TypeSize(type);
            bool integer = IntegerTags.Contains(tag);
            if (size == 0)
            {
                if (integer) throw Corrupt(name, $"{TagName(tag)} has field type {type}, which is not a TIFF type");
                continue; // an unknown type: LibTiff skips the entry
            }
            long bytes = n * size, at = bytes <= 4 ? entry + 8 : U32(entry + 8);
            if (at + bytes > file.Length)
                throw Corrupt(name, $"{TagName(tag)} claims {n:N0} values ({bytes:N0} bytes) at byte {at:N0}, past the end of the {file.Length:N0}-byte file");
            if (!integer) continue;
            if (type is not (1 or 3 or 4)) throw Corrupt(name, $"{TagName(tag)} has field type {type}; it must be an unsigned integer (BYTE, SHORT or LONG)");
            if (n == 0) throw Corrupt(name, $"{TagName(tag)} holds no value");
            bool offsets = tag is StripOffsets or StripByteCounts or TileOffsets or TileByteCounts;
            var read = new uint[offsets ? n : Math.Min(n, 4)]; // all strips (bounded by the file's size, checked above); of the rest the first few
            for (int k = 0; k < read.Length; k++)
                read[k] = type switch { 1 => file[(int)at + k], 3 => U16((int)at + 2 * k), _ => U32((int)at + 4 * k) };
            values[tag] = read;
        }
        uint First(ushort tag, uint fallback) => values.TryGetValue(tag, out var v) ? v[0] : fallback;
        uint samples = First(SamplesPerPixel, 1), photometric = First(Photometric, uint.MaxValue);
        if (samples is < 1 or > 16) throw Corrupt(name, $"SamplesPerPixel is {samples}; images have 1 to 16 samples a pixel");
        if (values.TryGetValue(BitsPerSample, out var bits))
            foreach (uint b in bits)
                if (b is not (1 or 2 or 4 or 8 or 16))
                    throw Corrupt(name, $"BitsPerSample is {b}; Shikaku reads TIFFs of 1, 2, 4, 8 or 16 bits a sample");
        int needed = photometric switch { 2 or 6 or 8 or 9 or 10 => 3, 5 => 4, _ => 1 }; // RGB, YCbCr, the Labs; CMYK
        if (samples < needed)
            throw Corrupt(name, $"PhotometricInterpretation {photometric} needs at least {needed} samples a pixel, but SamplesPerPixel is {samples}");
        if (photometric == 3 && !values.ContainsKey(ColorMap)) throw Corrupt(name, "it is a palette image without a ColorMap");
        foreach (var (where, counts, what) in new[] { (StripOffsets, StripByteCounts, "strip"), (TileOffsets, TileByteCounts, "tile") })
            if (values.TryGetValue(where, out var starts) && values.TryGetValue(counts, out var lengths))
                for (int i = 0; i < Math.Min(starts.Length, lengths.Length); i++)
                    if ((long)starts[i] + lengths[i] > file.Length)
                        throw Corrupt(name, $"{what} {i} is said to hold {lengths[i]:N0} bytes at byte {starts[i]:N0}, past the end of the {file.Length:N0}-byte file");
        foreach (ushort tag in new[] { TileWidth, TileLength })
            if (values.TryGetValue(tag, out var side) && side[0] is < 1 or > 65536)
                throw Corrupt(name, $"{TagName(tag)} is {side[0]:N0}; tiles are 1 to 65,536 pixels a side");
    }

    private static ImageException Corrupt(string name, string what) => new($"{name}: the TIFF is corrupt: {what}.");
}
