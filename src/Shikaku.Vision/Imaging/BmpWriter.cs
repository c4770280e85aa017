using System.Buffers.Binary;

namespace Shikaku.Vision.Imaging;

/// <summary>Writes uncompressed 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes), one row at a time.</summary>
internal static class BmpWriter
{
    public static void Write(Image image, Stream output)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        long rowBytes = ((long)w * 3 + 3) & ~3L;
        long size = 54 + rowBytes * h;
        // The header holds sizes in 32 bits, and readers take them as signed.
        if (size > int.MaxValue)
            throw new ImageException($"A {w}x{h} image is too large for BMP: it needs {size:N0} bytes, more than the format's {int.MaxValue:N0}; save it as PNG or TIFF.");
        var header = new byte[54];
        header[0] = (byte)'B';
        header[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(2), (int)size);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(34), (int)(rowBytes * h));
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(38), 2835); // 72 dpi
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(42), 2835);
        output.Write(header);
        var row = new byte[rowBytes];
        var pixels = image.Pixels;
        int g = c == 3 ? 1 : 0, b = c == 3 ? 2 : 0;
        for (int y = h - 1; y >= 0; y--)
        {
            long start = (long)y * w * c;
            for (int x = 0; x < w; x++)
            {
                long s = start + (long)x * c;
                row[3 * x] = pixels[s + b];
                row[3 * x + 1] = pixels[s + g];
                row[3 * x + 2] = pixels[s];
            }
            output.Write(row);
        }
    }
}
