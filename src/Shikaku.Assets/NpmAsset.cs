namespace Shikaku.Assets;

/// <summary>
/// Files from one pinned version of an npm package, each with the SHA-256 it must have.
/// Paths are inside the package tarball (they start with "package/").
/// </summary>
public sealed record NpmAsset(string Package, string Version, IReadOnlyDictionary<string, string> Files)
{
    /// <summary>"name@version".</summary>
    public string Spec => $"{Package}@{Version}";

    /// <summary>The cache folder name: the package name made safe for a path, plus the version.</summary>
    public string FolderName => $"{Package.Replace('@', '_').Replace('/', '_')}-{Version}";
}

/// <summary>The real data and models Shikaku uses, pinned (see ../shared/ASSETS.md).</summary>
public static class KnownAssets
{
    /// <summary>The six real group photos that ship with face-api.js (MIT); they carry EXIF with GPS.</summary>
    public static NpmAsset FaceApiDemoPhotos { get; } = new("@vladmandic/face-api", "1.7.15", new Dictionary<string, string>
    {
        ["package/demo/sample1.jpg"] = "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
        ["package/demo/sample2.jpg"] = "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691",
        ["package/demo/sample3.jpg"] = "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
        ["package/demo/sample4.jpg"] = "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
        ["package/demo/sample5.jpg"] = "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
        ["package/demo/sample6.jpg"] = "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
    });
}
