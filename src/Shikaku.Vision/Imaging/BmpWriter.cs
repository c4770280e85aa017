using System.Buffers.Binary;

namespace Shikaku.Vision.Imaging;

/// <summary>Writes uncompressed 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes).</summary>
internal static class BmpWriter
{
    public static byte[] Encode(Image image)
    {
        int w = image.Width, h = image.Height, c = image.Channels;
        int rowBytes = (w * 3 + 3) & ~3;
        int size = 54 + rowBytes * h;
        var b = new byte[size];
        b[0] = (byte)'B';
        b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(34), rowBytes * h);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(38), 2835); // 72 dpi
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(42), 2835);
        for (int y = 0; y < h; y++)
        {
            int row = 54 + (h - 1 - y) * rowBytes;
            for (int x = 0; x < w; x++)
            {
                int s = (y * w + x) * c;
                byte r = image.Pixels[s], g = image.Pixels[s + (c == 3 ? 1 : 0)], bl = image.Pixels[s + (c == 3 ? 2 : 0)];
                b[row + 3 * x] = bl;
                b[row + 3 * x + 1] = g;
                b[row + 3 * x + 2] = r;
            }
        }
        return b;
    }
}
