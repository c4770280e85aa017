using System.Globalization;
using System.Text;
using System.Text.Json;
using Shikaku.IO;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Detection;

/// <summary>One detected object: its class (id and name), the detector's confidence and its box in pixels.</summary>
public sealed record DetectedObject(int ClassId, string ClassName, double Score, BoundingBox Box);

/// <summary>
/// The detections of one image, as Ultralytics' Results: boxes as xyxy or xywh (centre), in pixels or
/// normalized to the image, with confidence, class id and name; <see cref="ToJson"/> and <see cref="ToCsv"/>.
/// </summary>
/// <example><code>
/// var results = new DetectionResults(image.Width, image.Height, detections);
/// File.WriteAllText("boxes.csv", results.ToCsv());
/// foreach (var (x1, y1, x2, y2) in results.Xyxy(normalized: true)) ...
/// </code></example>
public sealed class DetectionResults(int imageWidth, int imageHeight, IReadOnlyList<DetectedObject> detections)
{
    /// <summary>Width of the image, in pixels.</summary>
    public int ImageWidth { get; } = imageWidth > 0 ? imageWidth : throw new ArgumentOutOfRangeException(nameof(imageWidth), imageWidth, "The image width must be positive.");

    /// <summary>Height of the image, in pixels.</summary>
    public int ImageHeight { get; } = imageHeight > 0 ? imageHeight : throw new ArgumentOutOfRangeException(nameof(imageHeight), imageHeight, "The image height must be positive.");

    /// <summary>The detections, in the detector's order (highest score first for most).</summary>
    public IReadOnlyList<DetectedObject> Items { get; } = detections ?? throw new ArgumentNullException(nameof(detections));

    /// <summary>Number of detections.</summary>
    public int Count => Items.Count;

    private BoundingBox Box(DetectedObject d, bool normalized) => normalized ? d.Box.Normalize(ImageWidth, ImageHeight) : d.Box;

    /// <summary>Each box as corners (x1, y1, x2, y2), in pixels or fractions of the image.</summary>
    public IReadOnlyList<(double X1, double Y1, double X2, double Y2)> Xyxy(bool normalized = false) => Items.Select(d => Box(d, normalized).Xyxy).ToList();

    /// <summary>Each box as centre and size (cx, cy, w, h), in pixels or fractions of the image.</summary>
    public IReadOnlyList<(double CenterX, double CenterY, double Width, double Height)> Xywh(bool normalized = false) => Items.Select(d => Box(d, normalized).Xywh).ToList();

    /// <summary>
    /// A JSON array, one object per detection: class, name, confidence and box (x1, y1, x2, y2), as
    /// Ultralytics' to_json.
    /// </summary>
    public string ToJson(bool normalized = false, bool indented = false)
    {
        var rows = Items.Select(d =>
        {
            var (x1, y1, x2, y2) = Box(d, normalized).Xyxy;
            return new { name = d.ClassName, @class = d.ClassId, confidence = d.Score, box = new { x1, y1, x2, y2 } };
        });
        return JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = indented });
    }

    /// <summary>A CSV table with a header: class, name, confidence, x1, y1, x2, y2 (invariant culture).</summary>
    public string ToCsv(bool normalized = false)
    {
        var csv = new StringBuilder("class,name,confidence,x1,y1,x2,y2\n");
        foreach (var d in Items)
        {
            var (x1, y1, x2, y2) = Box(d, normalized).Xyxy;
            csv.Append(CultureInfo.InvariantCulture, $"{d.ClassId},{Csv.Field(d.ClassName)},{d.Score},{x1},{y1},{x2},{y2}\n");
        }
        return csv.ToString();
    }
}
