using Shikaku.Kernels;
using Shikaku.Tensors;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Detection;

/// <summary>How an image is brought to a detector's square input.</summary>
public enum InputFit
{
    /// <summary>Scaled to fit, aspect ratio kept, centred on a black square (what CenterNet's and NanoDet's authors do).</summary>
    Letterbox,
    /// <summary>Stretched to the square, aspect ratio lost (what human.js does).</summary>
    Stretch,
}

/// <summary>
/// Where an image lies in a detector's <see cref="Size"/> x <see cref="Size"/> input, and the way back: with
/// <see cref="InputFit.Letterbox"/> the image is centred on a square of its longer side, then scaled.
/// </summary>
/// <example><code>
/// var fit = new Letterbox(1920, 1280, 512);
/// using var input = fit.Apply(imageTensor);     // [1, 512, 512, 3]
/// var box = fit.ToImage(BoundingBox.FromXyxy(x1, y1, x2, y2));
/// </code></example>
public readonly record struct Letterbox(int ImageWidth, int ImageHeight, int Size, InputFit Fit = InputFit.Letterbox)
{
    private int FrameWidth => Fit == InputFit.Letterbox ? Math.Max(ImageWidth, ImageHeight) : ImageWidth;
    private int FrameHeight => Fit == InputFit.Letterbox ? Math.Max(ImageWidth, ImageHeight) : ImageHeight;

    /// <summary>Columns of black left of the image in the square frame (before scaling).</summary>
    public int Left => (FrameWidth - ImageWidth) / 2;

    /// <summary>Rows of black above the image in the square frame (before scaling).</summary>
    public int Top => (FrameHeight - ImageHeight) / 2;

    /// <summary>Input pixels per image pixel, horizontally and vertically (equal when letterboxed).</summary>
    public (double X, double Y) Scale => ((double)Size / FrameWidth, (double)Size / FrameHeight);

    /// <summary>The detector's input, [N, Size, Size, C], from an [N, H, W, C] image tensor (values unchanged, bilinear).</summary>
    public Tensor Apply(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank != 4 || image.Shape[1] != ImageHeight || image.Shape[2] != ImageWidth)
            throw new ArgumentException($"Expected an [N, {ImageHeight}, {ImageWidth}, C] image, got {image.Shape}.", nameof(image));
        return Resample.ResizeZeroPadded(image, Top, Left, FrameHeight, FrameWidth, Size, Size);
    }

    /// <summary>
    /// The fit as an output-to-input affine matrix for AffineWarp (2x3, row-major): input pixel (x, y) samples the image
    /// at (x / scale - Left, y / scale - Top), zero outside it, as <see cref="Apply"/>'s resize of the padded frame.
    /// </summary>
    public double[] WarpMatrix()
    {
        var (sx, sy) = Scale;
        return [1 / sx, 0, -Left, 0, 1 / sy, -Top];
    }

    /// <summary>A box in input pixels as a box in image pixels, clipped to the image.</summary>
    public BoundingBox ToImage(BoundingBox inputBox)
    {
        var (sx, sy) = Scale;
        return new BoundingBox(inputBox.X / sx - Left, inputBox.Y / sy - Top, inputBox.Width / sx, inputBox.Height / sy).Clamp(ImageWidth, ImageHeight);
    }
}
