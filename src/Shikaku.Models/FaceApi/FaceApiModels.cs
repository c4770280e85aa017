using Shikaku.Assets;
using Shikaku.IO;
using Shikaku.Formats;

namespace Shikaku.Models.FaceApi;

/// <summary>The seven face-api.js networks, by their manifest names.</summary>
public enum FaceApiModel
{
    /// <summary>SSD MobileNet V1 face detector (accurate).</summary>
    SsdMobilenetV1,
    /// <summary>Tiny face detector (fast).</summary>
    TinyFaceDetector,
    /// <summary>68-point face landmarks.</summary>
    FaceLandmark68,
    /// <summary>68-point face landmarks, tiny variant.</summary>
    FaceLandmark68Tiny,
    /// <summary>128-d face descriptor (recognition).</summary>
    FaceRecognition,
    /// <summary>7-class facial expression.</summary>
    FaceExpression,
    /// <summary>Age and gender.</summary>
    AgeGender,
}

/// <summary>Fetches (npm @vladmandic/face-api@1.7.15, SHA-256 pinned, cached) and loads face-api.js networks.</summary>
public static class FaceApiModels
{
    /// <summary>The manifest file name of a model.</summary>
    public static string ManifestName(FaceApiModel model) => model switch
    {
        FaceApiModel.SsdMobilenetV1 => "ssd_mobilenetv1_model",
        FaceApiModel.TinyFaceDetector => "tiny_face_detector_model",
        FaceApiModel.FaceLandmark68 => "face_landmark_68_model",
        FaceApiModel.FaceLandmark68Tiny => "face_landmark_68_tiny_model",
        FaceApiModel.FaceRecognition => "face_recognition_model",
        FaceApiModel.FaceExpression => "face_expression_model",
        FaceApiModel.AgeGender => "age_gender_model",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown face-api model."),
    } + "-weights_manifest.json";

    /// <summary>A model's name without the suffix: "tiny_face_detector", "face_landmark_68", ...</summary>
    public static string Id(FaceApiModel model) => ManifestName(model)[..^"_model-weights_manifest.json".Length];

    /// <summary>Whether the network takes a face crop (landmarks, recognition, expression, age and gender), not a whole photo.</summary>
    public static bool TakesFaceCrop(FaceApiModel model) => model is not (FaceApiModel.SsdMobilenetV1 or FaceApiModel.TinyFaceDetector);

    /// <summary>Builds a network from its weights, as a graph to look inside (the caller disposes it).</summary>
    public static IGraphNetwork Open(FaceApiModel model, WeightMap weights) => model switch
    {
        FaceApiModel.SsdMobilenetV1 => new SsdMobilenetV1(weights),
        FaceApiModel.TinyFaceDetector => new TinyFaceDetector(weights),
        FaceApiModel.FaceLandmark68 => new FaceLandmark68Net(weights),
        FaceApiModel.FaceLandmark68Tiny => new FaceLandmark68Net(weights, tiny: true),
        FaceApiModel.FaceRecognition => new FaceRecognitionNet(weights),
        FaceApiModel.FaceExpression => new FaceExpressionNet(weights),
        FaceApiModel.AgeGender => new AgeGenderNet(weights),
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown face-api model."),
    };

    /// <summary>The folder holding the verified manifests and shards, fetching them on first use.</summary>
    public static string Folder(Action<string>? log = null)
    {
        var files = AssetCache.Fetch(KnownAssets.FaceApi, log);
        return Path.GetDirectoryName(files["package/model/ssd_mobilenetv1_model.bin"])!;
    }

    /// <summary>
    /// The weights of one model from <paramref name="folder"/> (default: the verified cache). Files from
    /// another folder are checked against face-api.js 1.7.15's SHA-256 sums too, unless
    /// <paramref name="verify"/> is false (for weights you trained or converted yourself).
    /// </summary>
    public static WeightMap LoadWeights(FaceApiModel model, string? folder = null, bool verify = true)
    {
        string manifest = Path.Combine(folder ?? Folder(), ManifestName(model));
        if (folder != null && verify)
        {
            string shard = manifest.Replace("-weights_manifest.json", ".bin", StringComparison.Ordinal);
            foreach (var path in new[] { manifest, shard })
            {
                if (!File.Exists(path)) continue; // TfjsWeights.Load names what is missing
                SafeFile.EnsureRegular(path, "a face-api.js model file"); // hashing a FIFO would block forever
                string expected = KnownAssets.FaceApi.Files["package/model/" + Path.GetFileName(path)];
                string actual = AssetCache.Sha256(path);
                if (!actual.Equals(expected, StringComparison.OrdinalIgnoreCase))
                    throw new ModelFormatException(
                        $"{path} has SHA-256 {actual}, but face-api.js 1.7.15's file has {expected}: it was changed, damaged or is another version. " +
                        "Fetch the models again (delete the folder), or load it with verification off if you made it yourself.");
            }
        }
        return TfjsWeights.Load(manifest);
    }
}
