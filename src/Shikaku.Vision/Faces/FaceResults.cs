using Shikaku.Vision.Geometry;
namespace Shikaku.Vision.Faces;

/// <summary>Which detector finds the faces.</summary>
public enum FaceDetectorKind
{
    /// <summary>SSD MobileNet V1 (more accurate; 512x512 input).</summary>
    Ssd,
    /// <summary>Tiny face detector (faster; input size configurable).</summary>
    Tiny,
}

/// <summary>How to find faces.</summary>
public sealed record FaceDetectorOptions
{
    /// <summary>The detector network.</summary>
    public FaceDetectorKind Detector { get; init; } = FaceDetectorKind.Ssd;

    /// <summary>Faces scoring at or below this are dropped (0 &lt; MinScore &lt; 1; face-api's default 0.5).</summary>
    public double MinScore { get; init; } = 0.5;

    /// <summary>At most this many faces per image (SSD; the tiny detector keeps all after suppression).</summary>
    public int MaxFaces { get; init; } = 100;

    /// <summary>Input size of the tiny detector, a multiple of 32 (larger finds smaller faces, more slowly).</summary>
    public int InputSize { get; init; } = 416;

    /// <summary>
    /// Also search overlapping tiles of the image at full resolution (512x512 for the SSD, InputSize for
    /// the tiny detector), for faces too small to see once the whole image is scaled to the network's
    /// input. Slower (one pass per tile); off by default, which gives face-api.js's results exactly.
    /// </summary>
    public bool Tile { get; init; }

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (!(MinScore > 0 && MinScore < 1)) throw new ArgumentOutOfRangeException(nameof(MinScore), MinScore, "The minimum score must be between 0 and 1 (exclusive), e.g. 0.5.");
        if (MaxFaces < 1) throw new ArgumentOutOfRangeException(nameof(MaxFaces), MaxFaces, "The maximum number of faces must be at least 1.");
        if (InputSize < 32 || InputSize % 32 != 0 || InputSize > 4096)
            throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "The tiny detector's input size must be a multiple of 32 between 32 and 4096, e.g. 416.");
    }
}

/// <summary>What <c>FaceAnalyzer.Analyze</c> computes for each face.</summary>
public sealed record FaceAnalysisOptions
{
    /// <summary>How to find the faces.</summary>
    public FaceDetectorOptions Detection { get; init; } = new();

    /// <summary>Use the tiny 68-point landmark net.</summary>
    public bool TinyLandmarks { get; init; }

    /// <summary>Compute the 7 expression probabilities.</summary>
    public bool Expressions { get; init; } = true;

    /// <summary>Estimate age and gender.</summary>
    public bool AgeGender { get; init; } = true;

    /// <summary>Compute the 128-d descriptor.</summary>
    public bool Descriptors { get; init; } = true;

    /// <summary>Rotate the face chip so the eyes are level before computing the descriptor (face-api does not).</summary>
    public bool AlignEyes { get; init; }
}

/// <summary>Everything known about one face in an image.</summary>
public sealed record Face
{
    /// <summary>Where the detector found it.</summary>
    public required FaceDetection Detection { get; init; }

    /// <summary>The 68 points, in image pixels.</summary>
    public FaceLandmarks? Landmarks { get; init; }

    /// <summary>The box around the landmarks (grown by 20 %) from which expression, age and gender are computed.</summary>
    public BoundingBox? AlignedBox { get; init; }

    /// <summary>The square chip the descriptor was computed from.</summary>
    public BoundingBox? DescriptorBox { get; init; }

    /// <summary>Probability of each of the 7 expressions (neutral, happy, sad, angry, fearful, disgusted, surprised).</summary>
    public IReadOnlyDictionary<string, double>? Expressions { get; init; }

    /// <summary>Estimated age in years: an estimate of apparent age, not a fact about the person.</summary>
    public double? Age { get; init; }

    /// <summary>"male" or "female": the net's two training labels; it cannot know anyone's gender.</summary>
    public string? Gender { get; init; }

    /// <summary>The net's probability for <see cref="Gender"/>.</summary>
    public double? GenderProbability { get; init; }

    /// <summary>The 128-d descriptor (biometric data: store only with consent).</summary>
    public float[]? Descriptor { get; init; }

    /// <summary>The most probable expression.</summary>
    public string? TopExpression => Expressions?.MaxBy(e => e.Value).Key;
}
