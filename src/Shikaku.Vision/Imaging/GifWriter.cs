namespace Shikaku.Vision.Imaging;

/// <summary>
/// Writes a single-frame GIF89a: gray images keep all 256 levels; colour images get a 256-colour
/// palette by median cut over a 15-bit histogram (no dithering); pixels are LZW-compressed.
/// </summary>
internal static class GifWriter
{
    public static void Write(Image image, Stream s)
    {
        // The logical screen and the image descriptor hold 16-bit sizes.
        if (image.Width > ushort.MaxValue || image.Height > ushort.MaxValue)
            throw new ImageException($"GIF holds at most {ushort.MaxValue}x{ushort.MaxValue} pixels; this image is {image.Width}x{image.Height}: save it as PNG or TIFF, or resize it.");
        var (palette, indices) = image.Channels == 1 ? GrayPalette(image) : MedianCut(image);
        s.Write("GIF89a"u8);
        WriteU16(s, image.Width);
        WriteU16(s, image.Height);
        s.WriteByte(0xF7); // global colour table of 256 entries, 8 bits per primary
        s.WriteByte(0);
        s.WriteByte(0);
        s.Write(palette);
        s.WriteByte(0x2C); // image descriptor
        WriteU16(s, 0);
        WriteU16(s, 0);
        WriteU16(s, image.Width);
        WriteU16(s, image.Height);
        s.WriteByte(0);
        s.WriteByte(8); // LZW minimum code size
        Lzw(indices, s);
        s.WriteByte(0x3B);
    }

    private static void WriteU16(Stream s, int v)
    {
        s.WriteByte((byte)v);
        s.WriteByte((byte)(v >> 8));
    }

    private static (byte[] Palette, byte[] Indices) GrayPalette(Image image)
    {
        var palette = new byte[768];
        for (int i = 0; i < 256; i++) palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = (byte)i;
        return (palette, image.Pixels);
    }

    private static (byte[] Palette, byte[] Indices) MedianCut(Image image)
    {
        int count = image.Width * image.Height;
        var hist = new int[32768];
        var sums = new long[32768 * 3];
        var px = image.Pixels;
        for (int i = 0; i < count; i++)
        {
            int r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2];
            int bin = (r >> 3) << 10 | (g >> 3) << 5 | b >> 3;
            hist[bin]++;
            sums[3 * bin] += r;
            sums[3 * bin + 1] += g;
            sums[3 * bin + 2] += b;
        }
        var boxes = new List<int[]> { Shrink([0, 31, 0, 31, 0, 31], hist) };
        while (boxes.Count < 256)
        {
            int best = -1;
            long bestScore = 0;
            for (int i = 0; i < boxes.Count; i++)
            {
                var bx = boxes[i];
                int range = Math.Max(bx[1] - bx[0], Math.Max(bx[3] - bx[2], bx[5] - bx[4]));
                long score = (long)Population(bx, hist) * range;
                if (range > 0 && score > bestScore) (best, bestScore) = (i, score);
            }
            if (best < 0) break;
            var (a, b2) = Split(boxes[best], hist);
            boxes[best] = a;
            boxes.Add(b2);
        }
        var palette = new byte[768];
        var map = new byte[32768];
        for (int k = 0; k < boxes.Count; k++)
        {
            long n = 0, sr = 0, sg = 0, sb = 0;
            ForEachBin(boxes[k], bin =>
            {
                map[bin] = (byte)k;
                n += hist[bin];
                sr += sums[3 * bin];
                sg += sums[3 * bin + 1];
                sb += sums[3 * bin + 2];
            });
            if (n > 0)
            {
                palette[3 * k] = (byte)(sr / n);
                palette[3 * k + 1] = (byte)(sg / n);
                palette[3 * k + 2] = (byte)(sb / n);
            }
        }
        var indices = new byte[count];
        for (int i = 0; i < count; i++)
            indices[i] = map[(px[3 * i] >> 3) << 10 | (px[3 * i + 1] >> 3) << 5 | px[3 * i + 2] >> 3];
        return (palette, indices);
    }

    private static void ForEachBin(int[] box, Action<int> action)
    {
        for (int r = box[0]; r <= box[1]; r++)
            for (int g = box[2]; g <= box[3]; g++)
                for (int b = box[4]; b <= box[5]; b++)
                    action(r << 10 | g << 5 | b);
    }

    private static int Population(int[] box, int[] hist)
    {
        int n = 0;
        ForEachBin(box, bin => n += hist[bin]);
        return n;
    }

    /// <summary>Tightens a box to the occupied bins.</summary>
    private static int[] Shrink(int[] box, int[] hist)
    {
        int[] t = [31, 0, 31, 0, 31, 0];
        bool any = false;
        ForEachBin(box, bin =>
        {
            if (hist[bin] == 0) return;
            any = true;
            int r = bin >> 10, g = (bin >> 5) & 31, b = bin & 31;
            t[0] = Math.Min(t[0], r); t[1] = Math.Max(t[1], r);
            t[2] = Math.Min(t[2], g); t[3] = Math.Max(t[3], g);
            t[4] = Math.Min(t[4], b); t[5] = Math.Max(t[5], b);
        });
        return any ? t : box;
    }

    /// <summary>Splits along the longest side at the population median.</summary>
    private static (int[], int[]) Split(int[] box, int[] hist)
    {
        int axis = 0;
        for (int a = 1; a < 3; a++) if (box[2 * a + 1] - box[2 * a] > box[2 * axis + 1] - box[2 * axis]) axis = a;
        int lo = box[2 * axis], hi = box[2 * axis + 1];
        var slab = new long[32];
        ForEachBin(box, bin =>
        {
            int v = axis == 0 ? bin >> 10 : axis == 1 ? (bin >> 5) & 31 : bin & 31;
            slab[v] += hist[bin];
        });
        long total = 0;
        for (int v = lo; v <= hi; v++) total += slab[v];
        long acc = 0;
        int cut = lo;
        for (int v = lo; v < hi; v++)
        {
            acc += slab[v];
            cut = v;
            if (2 * acc >= total) break;
        }
        var a1 = (int[])box.Clone();
        var a2 = (int[])box.Clone();
        a1[2 * axis + 1] = cut;
        a2[2 * axis] = cut + 1;
        return (Shrink(a1, hist), Shrink(a2, hist));
    }

    /// <summary>Variable-length-code LZW as GIF specifies it, packed LSB-first into 255-byte sub-blocks.</summary>
    private static void Lzw(byte[] indices, Stream s)
    {
        const int clear = 256, end = 257;
        var table = new Dictionary<int, int>(4096);
        int next = 258, size = 9;
        var block = new byte[255];
        int blockLength = 0, bitBuffer = 0, bitCount = 0;
        void Emit(int code)
        {
            bitBuffer |= code << bitCount;
            bitCount += size;
            while (bitCount >= 8)
            {
                block[blockLength++] = (byte)bitBuffer;
                bitBuffer >>= 8;
                bitCount -= 8;
                if (blockLength == 255)
                {
                    s.WriteByte(255);
                    s.Write(block, 0, 255);
                    blockLength = 0;
                }
            }
        }
        Emit(clear);
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int key = prefix << 8 | indices[i];
            if (table.TryGetValue(key, out int code))
            {
                prefix = code;
                continue;
            }
            Emit(prefix);
            if (next < 4096)
            {
                table[key] = next++;
                if (next > 1 << size && size < 12) size++;
            }
            else
            {
                Emit(clear);
                table.Clear();
                next = 258;
                size = 9;
            }
            prefix = indices[i];
        }
        Emit(prefix);
        Emit(end);
        if (bitCount > 0) block[blockLength++] = (byte)bitBuffer;
        if (blockLength > 0)
        {
            s.WriteByte((byte)blockLength);
            s.Write(block, 0, blockLength);
        }
        s.WriteByte(0);
    }
}
