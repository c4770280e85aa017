namespace Shikaku.Vision.Imaging;

/// <summary>Turns a decoded image upright according to its EXIF orientation (1-8).</summary>
internal static class Orientation
{
    public static Image Apply(Image image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height, c = image.Channels;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new byte[image.Pixels.Length];
        for (int dy = 0; dy < oh; dy++)
            for (int dx = 0; dx < ow; dx++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - dx, dy),
                    3 => (w - 1 - dx, h - 1 - dy),
                    4 => (dx, h - 1 - dy),
                    5 => (dy, dx),
                    6 => (dy, h - 1 - dx),
                    7 => (w - 1 - dy, h - 1 - dx),
                    _ => (w - 1 - dy, dx),
                };
                Buffer.BlockCopy(image.Pixels, (sy * w + sx) * c, dst, (dy * ow + dx) * c, c);
            }
        return new Image(ow, oh, c, dst);
    }
}
