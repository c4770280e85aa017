using System.Globalization;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku detect` and `shikaku count people`: COCO object detection on Shikaku's graph runtime.</summary>
internal static class ObjectCommands
{
    public static readonly Option[] Options =
    [
        new("--model", "centernet|nanodet", "centernet", "the detector (human-models' MobileNetV3 CenterNet, or NanoDet-g)"),
        new("--classes", "NAME,NAME", "all 80", "keep only these COCO classes, e.g. person,car"),
        new("--min-score", "X", "0.3", "smallest confidence kept (0..1)"),
        new("--max-detections", "N", "100", "most objects kept per image"),
        new("--iou", "X", "0.5 (nanodet 0.6)", "non-max suppression: drop a box overlapping a better one of its class by more than X"),
        Option.Flag("--stretch", "stretch the image to the model's square input instead of letterboxing it (what human.js does)"),
        Option.Flag("--flip", "also look at the mirrored image and merge (test-time augmentation; twice the time)"),
        new("--tile", "N", "0 (off)", "also look at overlapping N-pixel tiles (small objects in large photos)"),
        new("--out", "DIR", null, "folder for an annotated PNG and a JSON per image"),
        new("--csv", "FILE", null, "one CSV table, a row per object"),
        Option.MaxPixels,
        Option.Json,
        Option.Overwrite,
    ];

    private static DetectRequest Request(CliArgs args, IReadOnlyList<string> inputs)
    {
        if (inputs.Count == 0) throw new UsageException("Give the images (files or folders) to look at, e.g. ./shikaku detect photo.jpg.");
        string model = (args.Get("--model") ?? "centernet").ToLowerInvariant();
        if (!ObjectDetector.Models.Contains(model)) throw new UsageException($"--model '{model}' is not a detector; use {string.Join(" or ", ObjectDetector.Models)}.");
        IReadOnlySet<int>? classes = null;
        if (args.Get("--classes") is { } names)
        {
            try { classes = CocoClasses.Parse(names); }
            catch (FormatException e) { throw new UsageException($"--classes: {e.Message}"); }
        }
        var keep = new DetectionOptions(
            MinScore: args.Double("--min-score", 0.3, 0, 1),
            MaxDetections: args.Int("--max-detections", 100, 1, 10_000),
            IoUThreshold: args.Double("--iou", model == "nanodet" ? 0.6 : 0.5, 0.01, 1),
            Classes: classes);
        var options = new ObjectDetectionOptions(keep, args.Flag("--stretch") ? InputFit.Stretch : InputFit.Letterbox, args.Flag("--flip"),
            args.Int("--tile", 0, 0, 100_000));
        if (options.Tile is > 0 and < 64) throw new UsageException($"--tile {options.Tile} is too small to hold an object; use 0 (off) or 64 pixels or more, e.g. 640.");
        return new DetectRequest(inputs, model, options, new ImageLoadOptions { MaxPixels = args.Long("--max-pixels", 100_000_000, 1) },
            args.Get("--out"), args.Get("--csv"), args.Flag("--overwrite"));
    }

    public static int Detect(CliArgs args, Cli cli) => Run(args, cli, args.Positionals, people: false);

    public static int Count(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count == 0 || args.Positionals[0] != "people")
            throw new UsageException("count counts people: ./shikaku count people photos/  (for faces: ./shikaku faces count).");
        return Run(args, cli, args.Positionals.Skip(1).ToList(), people: true);
    }

    private static int Run(CliArgs args, Cli cli, IReadOnlyList<string> inputs, bool people)
    {
        var request = Request(args, inputs);
        if (people && args.Get("--classes") != null) throw new UsageException("count people counts the class person; leave out --classes.");
        bool json = args.Flag("--json");
        using var objects = new ObjectUseCases(new Fetching(cli.Err));
        Action<ObjectImageResult> show = r =>
        {
            if (r.Error != null)
            {
                cli.Error(r.Error);
                return;
            }
            if (json) return;
            var found = r.Found!;
            var t = found.Timing;
            string speed = string.Create(CultureInfo.InvariantCulture,
                $"{t.Preprocess.TotalMilliseconds:0} ms preprocess, {t.Inference.TotalMilliseconds:0} ms inference, {t.Postprocess.TotalMilliseconds:0} ms postprocess");
            if (people)
            {
                cli.Out.MarkupLineInterpolated($"[bold]{r.Image}[/]: {found.Results.Count} people ({speed})");
                return;
            }
            var summary = string.Join(", ", found.Results.Items.GroupBy(d => d.ClassName).Select(g => $"{g.Count()} {g.Key}"));
            cli.Out.MarkupLineInterpolated($"[bold]{r.Image}[/]: {found.Results.ImageWidth}x{found.Results.ImageHeight}, {(summary.Length == 0 ? "nothing found" : summary)} ({speed})");
            if (found.Results.Count > 0)
            {
                var table = new Table().Border(TableBorder.Simple).AddColumns("#", "class", "confidence", "box (x1,y1 - x2,y2)");
                int i = 0;
                foreach (var d in found.Results.Items)
                {
                    var (x1, y1, x2, y2) = d.Box.Xyxy;
                    table.AddRow(Markup.Escape((++i).ToString(CultureInfo.InvariantCulture)), Markup.Escape(d.ClassName),
                        d.Score.ToString("0.00", CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{x1:0},{y1:0} - {x2:0},{y2:0}"));
                }
                cli.Out.Write(table);
            }
            if (r.Saved != null) cli.Status($"  -> {r.Saved}.png/.json (no EXIF/GPS)");
        };
        var result = people ? objects.CountPeople(request, show) : objects.Detect(request, show);
        int code = cli.BatchResult(result.Outcome);
        if (json)
            cli.WriteJson(people
                ? new { model = result.Model, images = result.Images.Select(i => new { image = i.Image, people = i.Found?.Results.Count, error = i.Error }).ToList(), total = result.TotalObjects }
                : result.ToJson());
        else if (people && result.Images.Count > 1) cli.Out.WriteLine($"{result.TotalObjects} people in {result.Images.Count} images");
        if (result.Csv != null) cli.Status($"  -> {result.Csv}");
        return code;
    }
}
