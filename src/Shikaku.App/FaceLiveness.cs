using Shikaku.IO;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Mesh;

namespace Shikaku.App;

/// <summary>One face of faces liveness: where it is and human's two scores.</summary>
/// <param name="Box">BlazeFace's box, image pixels.</param>
/// <param name="Score">BlazeFace's score.</param>
/// <param name="Real">antispoof: that the face is a real face, not a photo or screen of one, 0..1.</param>
/// <param name="Live">liveness: that the face is live, not replayed, 0..1.</param>
public sealed record LivenessFace(BoundingBox Box, double Score, double Real, double Live)
{
    /// <summary>Both scores at or over one half: what the models say, not proof (README, "Liveness").</summary>
    public bool LooksLive => Real >= 0.5 && Live >= 0.5;
}

/// <summary>faces liveness of one image.</summary>
public sealed record LivenessImageResult(string Image, IReadOnlyList<LivenessFace> Faces, string? Error)
{
    internal object Document { get; init; } = new { };

    /// <summary>The image's entry in the JSON contract (docs/CLI.md).</summary>
    public object ToJson() => Document;
}

public sealed partial class FaceUseCases
{
    /// <summary>
    /// Lecture 8-6's "the face as a key": for each face BlazeFace finds, human's antispoof (a real face or a photo or
    /// screen of one) and liveness (live or replayed) scores, on the same upright crop FaceMesh sees. Nothing is written.
    /// </summary>
    public (List<LivenessImageResult> Images, BatchOutcome Outcome) Liveness(FacesRequest request, Action<LivenessImageResult>? onImage = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Out != null) throw new UsageException("faces liveness prints its scores (or --json); it writes nothing, so it takes no --out.");
        var files = OutputPolicy.Expand(request.Inputs, "faces liveness");
        var detector = MeshDetector;
        var options = new FaceMeshOptions(MaxFaces: request.Options.Detection.MaxFaces, Liveness: true);
        return Batch.ForEachImage(request.Load, files, onImage, cancellationToken, (file, image) =>
        {
            var faces = detector.Detect(image, options).Select(m => new LivenessFace(m.Box, m.DetectorScore, m.Real!.Value, m.Live!.Value)).ToList();
            var document = new
            {
                image = file,
                width = image.Width,
                height = image.Height,
                faces = faces.Select(f => new
                {
                    score = Math.Round(f.Score, 4),
                    box = FaceJson.Box(f.Box),
                    real = Math.Round(f.Real, 4),
                    live = Math.Round(f.Live, 4),
                    looksLive = f.LooksLive,
                }).ToList(),
            };
            return new LivenessImageResult(file, faces, null) { Document = document };
        },
        (file, e) => new LivenessImageResult(file, [], e.Message) { Document = new { image = file, error = e.Message } });
    }
}
