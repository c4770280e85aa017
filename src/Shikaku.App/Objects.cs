using System.Globalization;
using System.Text;
using Shikaku.IO;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>
/// A detect request: the images (files or folders), the model and what to keep, and where results go:
/// <paramref name="Out"/> a folder for an annotated PNG and a JSON per image, <paramref name="Csv"/> one table
/// with a row per object. Nothing is written unless asked.
/// </summary>
public sealed record DetectRequest(IReadOnlyList<string> Inputs, string Model, ObjectDetectionOptions Options, ImageLoadOptions Load,
    string? Out = null, string? Csv = null, bool Overwrite = false);

/// <summary>One image of a detect batch: its objects (null when it failed), what was written for it, or why it failed.</summary>
public sealed record ObjectImageResult(string Image, ObjectDetections? Found, string? Saved, string? Error)
{
    /// <summary>The image's entry in the JSON contract (docs/CLI.md).</summary>
    public object ToJson() => Found == null ? new { image = Image, error = Error } : ObjectJson.Image(Image, Found);
}

/// <summary>A detect batch: every image's result in input order, and how the batch ended.</summary>
public sealed record ObjectsResult(string Model, IReadOnlyList<ObjectImageResult> Images, BatchOutcome Outcome, string? Csv)
{
    /// <summary>Objects in the whole batch.</summary>
    public int TotalObjects => Images.Sum(i => i.Found?.Results.Count ?? 0);

    /// <summary>The JSON contract of detect --json.</summary>
    public object ToJson() => new { model = Model, images = Images.Select(i => i.ToJson()).ToList() };
}

/// <summary>The object detections' JSON and CSV (docs/CLI.md): corners in pixels and normalized, rounded to 0.01 px.</summary>
public static class ObjectJson
{
    /// <summary>One image's document.</summary>
    public static object Image(string image, ObjectDetections found)
    {
        var r = found.Results;
        return new
        {
            image,
            width = r.ImageWidth,
            height = r.ImageHeight,
            model = found.Model,
            speedMs = new
            {
                preprocess = Math.Round(found.Timing.Preprocess.TotalMilliseconds, 2),
                inference = Math.Round(found.Timing.Inference.TotalMilliseconds, 2),
                postprocess = Math.Round(found.Timing.Postprocess.TotalMilliseconds, 2),
            },
            objects = r.Items.Select(d =>
            {
                var (x1, y1, x2, y2) = d.Box.Xyxy;
                var n = d.Box.Normalize(r.ImageWidth, r.ImageHeight);
                return new
                {
                    @class = d.ClassId,
                    name = d.ClassName,
                    confidence = Math.Round(d.Score, 4),
                    box = new { x1 = Math.Round(x1, 2), y1 = Math.Round(y1, 2), x2 = Math.Round(x2, 2), y2 = Math.Round(y2, 2) },
                    normalized = new { x1 = Math.Round(n.X, 5), y1 = Math.Round(n.Y, 5), x2 = Math.Round(n.Right, 5), y2 = Math.Round(n.Bottom, 5) },
                };
            }).ToList(),
        };
    }

    /// <summary>The CSV header of detect --csv.</summary>
    public const string CsvHeader = "image,class,name,confidence,x1,y1,x2,y2";

    /// <summary>The CSV rows of one image, one per object (the image name quoted when it holds commas, quotes or line breaks).</summary>
    public static IEnumerable<string> CsvRows(string image, DetectionResults results)
    {
        string name = Csv.Field(image);
        foreach (var d in results.Items)
        {
            var (x1, y1, x2, y2) = d.Box.Xyxy;
            yield return string.Create(CultureInfo.InvariantCulture, $"{name},{d.ClassId},{Csv.Field(d.ClassName)},{d.Score:0.####},{x1:0.##},{y1:0.##},{x2:0.##},{y2:0.##}");
        }
    }

}

/// <summary>
/// detect and count people: COCO object detection with human-models' CenterNet or NanoDet on Shikaku's graph
/// runtime. Each verb checks its request (inputs, outputs) before the model is fetched; an image that cannot be
/// read is reported through <c>onImage</c> and the batch goes on.
/// </summary>
/// <example><code>
/// using var objects = new ObjectUseCases(IFetchProgress.Silent);
/// var result = objects.Detect(new DetectRequest(["street.jpg"], "centernet", new ObjectDetectionOptions(), new ImageLoadOptions()));
/// </code></example>
public sealed class ObjectUseCases(IFetchProgress fetch) : IDisposable
{
    private readonly Dictionary<string, ObjectDetector> _detectors = new(StringComparer.Ordinal);

    private ObjectDetector Detector(string model)
    {
        string id = model.ToLowerInvariant();
        if (!ObjectDetector.Models.Contains(id)) throw new UsageException($"There is no object detector '{model}'; use --model {string.Join(" or ", ObjectDetector.Models)}.");
        lock (_detectors)
        {
            if (!_detectors.TryGetValue(id, out var detector))
                _detectors[id] = detector = fetch.Run("the object models", log => new ObjectDetector(id, log: log));
            return detector;
        }
    }

    /// <summary>Detects the objects of every image; writes annotated images, JSON and CSV only where the request says.</summary>
    public ObjectsResult Detect(DetectRequest request, Action<ObjectImageResult>? onImage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Selection.Validate();
        var files = OutputPolicy.Expand(request.Inputs, "detect");
        string? dir = request.Out == null ? null : OutputPolicy.OutputFolder(request.Out, files, request.Overwrite, ".png", ".json");
        string? csv = request.Csv == null ? null : OutputPolicy.OutputFile(request.Csv, request.Overwrite, "detections.csv");
        var detector = Detector(request.Model);
        var rows = new StringBuilder(ObjectJson.CsvHeader + "\n");
        var (results, outcome) = Batch.ForEachImage(request.Load, files, onImage, cancellationToken, (file, image) =>
        {
            var found = detector.Detect(image, request.Options);
            string? saved = null;
            if (dir != null)
            {
                string stem = Path.Combine(dir, Path.GetFileNameWithoutExtension(file));
                ImageCodec.Save(found.Plot(image), stem + ".png", new ImageSaveOptions { Overwrite = request.Overwrite });
                try
                {
                    SafeFile.WriteAllText(stem + ".json", Contract.SerializeForFile(ObjectJson.Image(file, found)), request.Overwrite);
                }
                catch
                {
                    File.Delete(stem + ".png"); // no picture without its JSON
                    throw;
                }
                saved = stem;
            }
            // Only an image whose files were all written has rows in the table.
            foreach (var row in ObjectJson.CsvRows(file, found.Results)) rows.Append(row).Append('\n');
            return new ObjectImageResult(file, found, saved, null);
        }, (file, e) => new ObjectImageResult(file, null, null, e.Message));
        if (csv != null) SafeFile.WriteAllText(csv, rows.ToString(), request.Overwrite);
        return new ObjectsResult(detector.Model, results, outcome, csv);
    }

    /// <summary>One image a front end holds in memory (an upload): its objects, nothing written.</summary>
    public ObjectImageResult DetectImage(string name, Image image, string model, ObjectDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        options.Selection.Validate();
        return new ObjectImageResult(name, Detector(model).Detect(image, options), null, null);
    }

    /// <summary>
    /// How many people each image shows, from the detector's "person" boxes (a detector, not a crowd-density
    /// model: people hidden behind others or only a few pixels tall are not counted).
    /// </summary>
    public ObjectsResult CountPeople(DetectRequest request, Action<ObjectImageResult>? onImage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var keep = request.Options.Selection with { Classes = new HashSet<int> { 0 } };
        return Detect(request with { Options = request.Options with { Keep = keep } }, onImage, cancellationToken);
    }

    /// <summary>Releases the models.</summary>
    public void Dispose()
    {
        lock (_detectors)
        {
            foreach (var d in _detectors.Values) d.Dispose();
            _detectors.Clear();
        }
    }
}
