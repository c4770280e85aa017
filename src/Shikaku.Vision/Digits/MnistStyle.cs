using Shikaku.Kernels;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Digits;

/// <summary>
/// Turns a photo or drawing of one digit into what an MNIST model expects, the way MNIST itself was
/// made: grayscale, white ink on black (inverted if the background is light), cropped to the ink,
/// scaled so the longer side is 20 pixels (aspect kept, area averaging), then placed in a 28x28 field
/// with its centre of mass at the centre.
/// </summary>
public static class MnistStyle
{
    /// <summary>The [1, 28, 28, 1] tensor (0..1) for <paramref name="image"/>.</summary>
    public static Tensor Prepare(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = image.ToGray();
        int w = gray.Width, h = gray.Height;
        var px = (byte[])gray.Pixels.Clone();
        // Background = the border's mean: a light border means dark ink on paper, so invert.
        double border = 0;
        int count = 0;
        for (int x = 0; x < w; x++) { border += px[x] + px[(h - 1) * w + x]; count += 2; }
        for (int y = 0; y < h; y++) { border += px[y * w] + px[y * w + w - 1]; count += 2; }
        border /= count;
        if (border > 127) for (int i = 0; i < px.Length; i++) px[i] = (byte)(255 - px[i]);
        // Ink: clearly brighter than the background level.
        int background = (int)Math.Min(border > 127 ? 255 - border : border, 200);
        int threshold = background + Math.Max(20, (255 - background) / 10);
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (px[y * w + x] >= threshold)
                {
                    x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                }
        if (x1 < 0) throw new ArgumentException("No digit found: the image has no strokes that stand out from its background.");
        // Remove the background level so the field around the digit is black, as in MNIST.
        for (int i = 0; i < px.Length; i++) px[i] = (byte)Math.Clamp((px[i] - background) * 255 / Math.Max(1, 255 - background), 0, 255);
        var ink = new Image(w, h, 1, px).Crop(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
        double scale = 20.0 / Math.Max(ink.Width, ink.Height);
        int fw = Math.Max(1, (int)Math.Round(ink.Width * scale)), fh = Math.Max(1, (int)Math.Round(ink.Height * scale));
        var fitted = ink.Resize(fw, fh, scale < 1 ? ResizeMode.Area : ResizeMode.Bilinear);
        // Centre of mass of the fitted digit -> (14, 14).
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < fh; y++)
            for (int x = 0; x < fw; x++)
            {
                double v = fitted.Pixels[y * fw + x];
                mass += v; cx += v * x; cy += v * y;
            }
        // MNIST puts the centre of mass at pixel (14, 14) of the 28x28 field (index coordinates).
        int ox = (int)Math.Round(14 - (mass > 0 ? cx / mass : fw / 2.0));
        int oy = (int)Math.Round(14 - (mass > 0 ? cy / mass : fh / 2.0));
        var t = Tensor.Zeros(1, 28, 28, 1);
        var s = t.Span;
        for (int y = 0; y < fh; y++)
            for (int x = 0; x < fw; x++)
            {
                int tx = x + ox, ty = y + oy;
                if ((uint)tx < 28 && (uint)ty < 28) s[ty * 28 + tx] = fitted.Pixels[y * fw + x] / 255f;
            }
        return t;
    }
}
