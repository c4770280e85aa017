using System.Buffers.Binary;

namespace Shikaku.Vision.Imaging;

/// <summary>
/// What a JPEG's markers say before any pixel is decoded. libjpeg fills the rows a truncated file lacks
/// with grey and only warns, so a few kilobytes that claim 10000x10000 would decode "successfully" to
/// a grey picture of 100 megapixels. The markers bound that: in a Huffman-coded JPEG every block's DC
/// coefficient costs at least one bit, so the data after the first scan header must hold at least one
/// bit per MCU.
/// </summary>
internal static class JpegData
{
    /// <summary>Refuses a Huffman-coded JPEG whose data is too short to hold its claimed size; anything else it leaves to the decoder.</summary>
    public static void CheckCanFill(ReadOnlySpan<byte> jpeg, int width, int height, string name)
    {
        int maxH = 0, maxV = 0;
        bool huffman = false;
        int at = 2; // after SOI
        while (at + 4 <= jpeg.Length)
        {
            if (jpeg[at] != 0xFF) return; // not where a marker should be: the decoder says what is wrong
            byte marker = jpeg[at + 1];
            if (marker == 0xFF) { at++; continue; } // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { at += 2; continue; } // no length
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]);
            if (length < 2 || at + 2 + length > jpeg.Length) return;
            var segment = jpeg.Slice(at + 4, length - 2);
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC) && segment.Length >= 6)
            {
                huffman = marker is 0xC0 or 0xC1 or 0xC2; // baseline, extended and progressive Huffman; not arithmetic or lossless
                int components = segment[5];
                for (int c = 0; c < components && 6 + 3 * c + 1 < segment.Length; c++)
                {
                    int sampling = segment[6 + 3 * c + 1];
                    maxH = Math.Max(maxH, sampling >> 4);
                    maxV = Math.Max(maxV, sampling & 15);
                }
            }
            at += 2 + length;
            if (marker != 0xDA) continue;
            if (!huffman || maxH is < 1 or > 4 || maxV is < 1 or > 4) return;
            long mcus = (long)((width + 8 * maxH - 1) / (8 * maxH)) * ((height + 8 * maxV - 1) / (8 * maxV));
            long bytes = jpeg.Length - at, needed = (mcus + 7) / 8;
            if (bytes < needed)
                throw new ImageException($"{name}: the JPEG claims {width}x{height} pixels but holds {bytes:N0} bytes of image data, fewer than the " +
                    $"{needed:N0} that many pixels take at the least; the file is truncated or its header is damaged.");
            return;
        }
    }
}
