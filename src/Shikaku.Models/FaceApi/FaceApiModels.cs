using Shikaku.Assets;
using Shikaku.Models.Tfjs;

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

    /// <summary>The folder holding the verified manifests and shards, fetching them on first use.</summary>
    public static string Folder(Action<string>? log = null)
    {
        var files = AssetCache.Fetch(KnownAssets.FaceApi, log);
        return Path.GetDirectoryName(files["package/model/ssd_mobilenetv1_model.bin"])!;
    }

    /// <summary>The weights of one model from <paramref name="folder"/> (default: the verified cache).</summary>
    public static WeightMap LoadWeights(FaceApiModel model, string? folder = null) =>
        TfjsWeights.Load(Path.Combine(folder ?? Folder(), ManifestName(model)));
}
