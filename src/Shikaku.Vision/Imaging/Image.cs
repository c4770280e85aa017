using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Vision.Imaging;

/// <summary>
/// An 8-bit image in memory: rows top to bottom, pixels interleaved (gray, or R G B). Orientation is
/// already applied; <see cref="Exif"/> holds the source's EXIF block only when the caller asked to
/// keep metadata.
/// </summary>
public sealed class Image
{
    /// <summary>An image of the given size; <paramref name="pixels"/> must hold width*height*channels bytes.</summary>
    public Image(int width, int height, int channels, byte[] pixels)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"Image size {width}x{height} must be at least 1x1.");
        if (channels is not (1 or 3)) throw new ArgumentException($"Images have 1 (gray) or 3 (RGB) channels, not {channels}.");
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"A {width}x{height}x{channels} image needs {(long)width * height * channels} bytes, got {pixels.Length}.");
        (Width, Height, Channels, Pixels) = (width, height, channels, pixels);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }
    /// <summary>Row-major interleaved samples.</summary>
    public byte[] Pixels { get; }
    /// <summary>The EXIF block of the file this came from (orientation reset to normal), kept only on request.</summary>
    public byte[]? Exif { get; init; }

    /// <summary>The same pixels carrying <paramref name="exif"/> (used to keep a source's metadata on request).</summary>
    public Image WithExif(byte[]? exif) => exif == Exif ? this : new Image(Width, Height, Channels, Pixels) { Exif = exif };

    /// <summary>[1, H, W, C] floats: 0..255, or 0..1 when <paramref name="unitRange"/>.</summary>
    public Tensor ToTensor(bool unitRange = false)
    {
        var t = Tensor.Uninitialized(new Shape(1, Height, Width, Channels));
        var span = t.Span;
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<byte, float>(Pixels, span); // exact for bytes
        if (unitRange) System.Numerics.Tensors.TensorPrimitives.Multiply(span, 1f / 255f, span);
        return t;
    }

    /// <summary>
    /// An image from a [1, H, W, C] or [H, W, C] tensor (C = 1 or 3), values multiplied by
    /// <paramref name="scale"/>, rounded and clamped to 0..255.
    /// </summary>
    public static Image FromTensor(Tensor tensor, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var s = tensor.Shape;
        bool batched = s.Rank == 4 && s[0] == 1;
        if (!(batched || s.Rank == 3))
            throw new ArgumentException($"An image tensor is [1, H, W, C] or [H, W, C], got {s}.", nameof(tensor));
        int h = s[s.Rank - 3], w = s[s.Rank - 2], c = s[s.Rank - 1];
        var pixels = GC.AllocateUninitializedArray<byte>(tensor.Length);
        ToBytes(tensor.Span, scale, pixels);
        return new Image(w, h, c, pixels);
    }

    /// <summary>Values times <paramref name="scale"/>, rounded and clamped to 0..255 (NaN to 0), into <paramref name="bytes"/>.</summary>
    internal static void ToBytes(ReadOnlySpan<float> values, float scale, Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            float v = values[i] * scale;
            bytes[i] = v >= 255f ? (byte)255 : v > 0f ? (byte)MathF.Round(v) : (byte)0; // NaN -> 0
        }
    }

    /// <summary>Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B), as OpenCV and PIL compute it.</summary>
    public Image ToGray()
    {
        if (Channels == 1) return this;
        var g = new byte[Pixels.Length / 3];
        for (int i = 0; i < g.Length; i++)
            g[i] = (byte)Math.Clamp((int)MathF.Round(0.299f * Pixels[3 * i] + 0.587f * Pixels[3 * i + 1] + 0.114f * Pixels[3 * i + 2]), 0, 255);
        return new Image(Width, Height, 1, g);
    }

    /// <summary>Gray images become RGB with three equal channels.</summary>
    public Image ToRgb()
    {
        if (Channels == 3) return this;
        long size = 3L * Pixels.Length; // a gray image of more than Array.MaxLength / 3 pixels has no RGB copy
        if (size > Array.MaxLength)
            throw new ImageException($"A {Width}x{Height} gray image is too large to turn into RGB: that needs {size:N0} bytes, " +
                $"more than the {Array.MaxLength:N0} one image can hold; keep it gray or crop it first.");
        var rgb = new byte[size];
        for (int i = 0; i < Pixels.Length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = Pixels[i];
        return new Image(Width, Height, 3, rgb);
    }

    /// <summary>Resized copy.</summary>
    public Image Resize(int width, int height, ResizeMode mode = ResizeMode.Bilinear) =>
        Apply(t => Resample.Resize(t, height, width, mode));

    /// <summary>The rectangle at (x, y) of the given size.</summary>
    public Image Crop(int x, int y, int width, int height) => Apply(t => Resample.Crop(t, x, y, width, height));

    /// <summary>The mirror image (left and right swapped), EXIF dropped.</summary>
    public Image Mirror()
    {
        var pixels = new byte[Pixels.Length];
        int row = Width * Channels;
        for (int y = 0; y < Height; y++)
        {
            var src = Pixels.AsSpan(y * row, row);
            var dst = pixels.AsSpan(y * row, row);
            for (int x = 0, mirrored = row - Channels; x < row; x += Channels, mirrored -= Channels)
                src.Slice(mirrored, Channels).CopyTo(dst.Slice(x, Channels));
        }
        return new Image(Width, Height, Channels, pixels);
    }

    /// <summary>Adds borders.</summary>
    public Image Pad(int top, int bottom, int left, int right, BorderMode mode = BorderMode.Zero) =>
        Apply(t => Resample.Pad(t, top, bottom, left, right, mode));

    private Image Apply(Func<Tensor, Tensor> op)
    {
        using var t = ToTensor();
        using var r = op(t);
        return FromTensor(r);
    }
}
