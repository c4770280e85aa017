using Shikaku.Datasets;
using Shikaku.Kernels;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>The datasets a run can name: the known ones (fetched by package) and "folder:PATH".</summary>
public static class TrainingData
{
    /// <summary>Colour clip-art by category (Debian's openclipart-png, CC0): five classes of real objects, fetched on first use.</summary>
    public const string Clipart = "clipart";

    /// <summary>The named datasets: MNIST, Fashion-MNIST and <see cref="Clipart"/>; any folder of class folders besides (folder:PATH).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. KnownDatasets.Names, Clipart];

    /// <summary>Checks a dataset name before anything loads; returns it as stored in run.json.</summary>
    public static string Check(string dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Equals(Clipart, StringComparison.OrdinalIgnoreCase)) return Clipart;
        if (FolderDataset.IsFolder(dataset))
        {
            string path = FolderDataset.PathOf(dataset);
            FolderDataset.Scan(path);
            return FolderDataset.Prefix + Path.GetFullPath(path);
        }
        string name = dataset.ToLowerInvariant();
        if (!KnownDatasets.Names.Contains(name))
            throw new UsageException($"Unknown dataset '{name}'; use {string.Join(" or ", Names)}, or folder:PATH (one sub-folder of images per class).");
        return name;
    }

    /// <summary>The training and test (or validation) splits of a checked name; <paramref name="seed"/> splits a folder.</summary>
    public static (ImageDataset Train, ImageDataset Test) Load(string dataset, int seed, IFetchProgress fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        if (dataset == Clipart)
            return fetch.Run("the clip-art", log =>
            {
                // Each picture's class is its category folder (usr/share/openclipart/png/food/fruit/x.png: fruit).
                var files = Assets.AssetCache.Fetch(Assets.KnownAssets.OpenClipart, log);
                var classes = files.GroupBy(f => Path.GetFileName(Path.GetDirectoryName(f.Key))!, f => f.Value).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => (g.Key, g.Order(StringComparer.Ordinal).ToArray())).ToList();
                return FolderDataset.Load(classes, Clipart, seed);
            });
        return FolderDataset.IsFolder(dataset)
            ? fetch.Run(dataset, log => FolderDataset.Load(FolderDataset.PathOf(dataset), seed, log: log))
            : fetch.Run(dataset, log => KnownDatasets.Load(dataset, log));
    }

    /// <summary>A folder dataset's <see cref="FolderDataset.Fingerprint"/> now; null for the named datasets (pinned by package).</summary>
    public static string? Fingerprint(string dataset) =>
        FolderDataset.IsFolder(dataset) ? FolderDataset.Fingerprint(FolderDataset.Scan(FolderDataset.PathOf(dataset))) : null;

    /// <summary>
    /// One image as a model of this input shape takes it: for 28x28x1 (MNIST-style) prepared the way MNIST was made,
    /// otherwise as a folder dataset's images are (resized, 0..1).
    /// </summary>
    public static Tensor Prepare(Image image, Shape input)
    {
        ArgumentNullException.ThrowIfNull(image);
        var s = input.ToArray();
        if (s is [28, 28, 1]) return Vision.Digits.MnistStyle.Prepare(image);
        if (s is not [_, _, 1 or 3])
            throw new UsageException($"Images are prepared for models that take HxWx1 or HxWx3; this one takes {string.Join("x", s)}.");
        return FolderDataset.Prepare(image, s[0], s[1], s[2]);
    }
}

/// <summary>
/// Your own images as a dataset, laid out as Keras' <c>image_dataset_from_directory</c> reads them: one sub-folder per
/// class (its name is the class name), images inside. Each image becomes RGB at <see cref="Side"/> x <see cref="Side"/>
/// (area-averaged, aspect not kept, as Keras resizes), scaled to 0..1; every fifth image of each class (after a
/// seeded shuffle) is held out for validation. The name "folder:PATH" selects it wherever a dataset is named.
/// </summary>
/// <example><code>
/// var (train, test) = FolderDataset.Load("photos/pets");   // photos/pets/cat/*.jpg, photos/pets/dog/*.png, ...
/// </code></example>
public static class FolderDataset
{
    /// <summary>How a dataset name says "a folder of class folders".</summary>
    public const string Prefix = "folder:";

    /// <summary>The side images are resized to (CNN Explainer's Tiny VGG input).</summary>
    public const int Side = 64;

    /// <summary>The largest number of images read (about 1.2 GB of pixels at 64x64x3).</summary>
    public const int MaxImages = 100_000;

    /// <summary>The most classes (labels are bytes).</summary>
    public const int MaxClasses = 255;

    /// <summary>Whether a dataset name is "folder:PATH".</summary>
    public static bool IsFolder(string dataset) => dataset.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The path of a "folder:PATH" name.</summary>
    public static string PathOf(string dataset) => dataset[Prefix.Length..];

    /// <summary>The classes and their images, checked, before anything is decoded.</summary>
    public static IReadOnlyList<(string Class, string[] Files)> Scan(string path)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{Prefix}{path}: no such folder; give a folder with one sub-folder of images per class.");
        var classes = Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal)
            .Select(d => (Class: Path.GetFileName(d), Files: Directory.EnumerateFiles(d).Where(ImageCodec.IsImagePath).Order(StringComparer.Ordinal).ToArray()))
            .Where(c => c.Files.Length > 0).ToList();
        if (classes.Count < 2)
            throw new InvalidDataException($"{Prefix}{path}: {classes.Count} sub-folder(s) hold images; a classifier needs at least 2 classes, one sub-folder of images each.");
        if (classes.Count > MaxClasses) throw new InvalidDataException($"{Prefix}{path}: {classes.Count} classes, more than the {MaxClasses} a dataset may have.");
        long total = classes.Sum(c => (long)c.Files.Length);
        if (total > MaxImages) throw new InvalidDataException($"{Prefix}{path}: {total:N0} images, more than the {MaxImages:N0} read at once; use fewer.");
        var single = classes.FirstOrDefault(c => c.Files.Length < 2);
        if (single.Class != null) throw new InvalidDataException($"{Prefix}{path}: class '{single.Class}' has one image; each class needs 2 or more (one to train on, one to validate).");
        return classes;
    }

    /// <summary>The training and validation splits; an image that cannot be read is an error that names it.</summary>
    public static (ImageDataset Train, ImageDataset Test) Load(string path, int seed = 0, ImageLoadOptions? load = null, Action<string>? log = null)
    {
        var classes = Scan(path);
        log?.Invoke($"{classes.Sum(c => c.Files.Length)} images in {classes.Count} classes under {path}");
        return Load(classes, Prefix + path, seed, load);
    }

    /// <summary>
    /// A digest of which images a folder holds in which class (names, not contents): the seeded split depends on them,
    /// so a run records it and evaluate refuses a folder whose images were added, removed or renamed since.
    /// </summary>
    public static string Fingerprint(IReadOnlyList<(string Class, string[] Files)> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var text = new System.Text.StringBuilder();
        foreach (var (name, files) in classes)
        {
            text.Append(name).Append('\n');
            foreach (var f in files) text.Append(Path.GetFileName(f)).Append('\n');
        }
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    /// <summary>The splits of images already grouped by class (a folder's scan, or a package's category folders).</summary>
    public static (ImageDataset Train, ImageDataset Test) Load(IReadOnlyList<(string Class, string[] Files)> classes, string name, int seed = 0, ImageLoadOptions? load = null)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var names = classes.Select(c => c.Class).ToArray();
        var train = new List<(string File, byte Label)>();
        var test = new List<(string File, byte Label)>();
        var rng = new Random(seed);
        for (int label = 0; label < classes.Count; label++)
        {
            var files = classes[label].Files.ToArray();
            rng.Shuffle(files);
            int held = Math.Max(1, files.Length / 5);
            for (int i = 0; i < files.Length; i++) (i < held ? test : train).Add((files[i], (byte)label));
        }
        // Classes mixed, so that the first N images (--limit) are a sample of every class, not the first class.
        var mixed = train.ToArray();
        rng.Shuffle(mixed);
        return (Read($"{name}/train", [.. mixed], names, load), Read($"{name}/validation", test, names, load));
    }

    private static ImageDataset Read(string name, List<(string File, byte Label)> items, string[] classes, ImageLoadOptions? load)
    {
        const int size = Side * Side * 3;
        var pixels = new byte[(long)items.Count * size];
        var labels = new byte[items.Count];
        try
        {
            Parallel.For(0, items.Count, new ParallelOptions { MaxDegreeOfParallelism = Engine.Threads }, i =>
            {
                Pixels(ImageCodec.Load(items[i].File, load), Side, Side, 3).CopyTo(pixels.AsSpan(i * size, size));
                labels[i] = items[i].Label;
            });
        }
        catch (AggregateException e)
        {
            // The first image that could not be read, as its own error (it names the file).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return new ImageDataset(name, pixels, items.Count, Side, Side, labels, classes, channels: 3);
    }

    /// <summary>An image as the dataset holds it: <paramref name="channels"/> (1 or 3) at width x height, area-averaged.</summary>
    public static byte[] Pixels(Image image, int height, int width, int channels)
    {
        ArgumentNullException.ThrowIfNull(image);
        var converted = channels == 1 ? image.ToGray() : image.ToRgb();
        return converted.Resize(width, height, ResizeMode.Area).Pixels;
    }

    /// <summary>One image prepared for a model trained on a folder dataset: [1, H, W, C] in 0..1, exactly as training saw it.</summary>
    public static Tensor Prepare(Image image, int height, int width, int channels)
    {
        var one = new ImageDataset("image", Pixels(image, height, width, channels), 1, height, width, [0], ["image"], channels);
        return one.Batch([0]).Inputs;
    }
}
