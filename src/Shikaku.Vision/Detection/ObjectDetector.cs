using System.Diagnostics;
using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.Kernels;
using Shikaku.Models.Human;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Detection;

/// <summary>How <see cref="ObjectDetector.Detect"/> looks at a picture and what it keeps.</summary>
/// <param name="Keep">Score threshold, maximum count, NMS overlap and class filter.</param>
/// <param name="Fit">Letterbox (the default: aspect ratio kept) or stretch to the square input.</param>
/// <param name="Flip">Also look at the mirrored picture and merge (test-time augmentation).</param>
/// <param name="Tile">Also look at overlapping tiles of this many pixels (small objects in large photos); 0: off.</param>
public sealed record ObjectDetectionOptions(DetectionOptions? Keep = null, InputFit Fit = InputFit.Letterbox, bool Flip = false, int Tile = 0)
{
    /// <summary>The keep settings, defaulted.</summary>
    public DetectionOptions Selection => Keep ?? new DetectionOptions();
}

/// <summary>Ultralytics-style speeds of one image: preprocessing, inference and postprocessing.</summary>
public sealed record DetectionTiming(TimeSpan Preprocess, TimeSpan Inference, TimeSpan Postprocess);

/// <summary>One image's objects, with the model that found them and how long each stage took.</summary>
public sealed record ObjectDetections(string Model, DetectionResults Results, DetectionTiming Timing)
{
    /// <summary>A copy of <paramref name="image"/> (the one detected in) with each object's box and label drawn, as Ultralytics' plot().</summary>
    public Image Plot(Image image) => BoxAnnotator.Draw(image, Results.Items);
}

/// <summary>
/// COCO object detection (lecture 8-5: where an object probably is, its box, its class) with the TF.js graph
/// models of human-models, run on Shikaku's graph runtime: <c>centernet</c> (the default) or <c>nanodet</c>, each
/// fed and decoded as its authors did. One detector may serve several threads at once.
/// </summary>
/// <example><code>
/// using var detector = new ObjectDetector();
/// var found = detector.Detect(Image.Load("street.jpg"), new ObjectDetectionOptions(new DetectionOptions(MinScore: 0.4)));
/// foreach (var d in found.Results.Items) Console.WriteLine($"{d.ClassName} {d.Score:0.00} {d.Box}");
/// </code></example>
public sealed class ObjectDetector : IDisposable
{
    /// <summary>The models this detector can use.</summary>
    public static IReadOnlyList<string> Models { get; } = ["centernet", "nanodet"];

    private const int NanoDetRegMax = 10;
    private readonly TfjsGraphModel _model;
    private readonly GraphPlan _plan;
    private readonly InputRecipe _recipe;

    /// <summary>The model in use ("centernet" or "nanodet").</summary>
    public string Model { get; }

    /// <summary>Loads <paramref name="model"/> from the verified cache (fetched on first use) or from <paramref name="folder"/>.</summary>
    public ObjectDetector(string model = "centernet", string? folder = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model.ToLowerInvariant();
        if (!Models.Contains(Model)) throw new ArgumentException($"There is no object detector '{model}'; use {string.Join(" or ", Models)}.", nameof(model));
        _recipe = GraphModels.Find(Model).Input;
        _model = GraphModels.Load(Model, folder ?? GraphModels.Folder(log));
        try
        {
            _plan = _model.Compile(optimize: true);
        }
        catch
        {
            _model.Dispose();
            throw;
        }
    }

    /// <summary>The objects in <paramref name="image"/>, best first.</summary>
    public ObjectDetections Detect(Image image, ObjectDetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new ObjectDetectionOptions();
        var keep = options.Selection;
        keep.Validate();
        if (options.Tile < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Tile, "The tile size must be 0 (off) or a number of pixels, e.g. 640.");
        var rgb = image.ToRgb();
        TimeSpan pre = default, infer = default, post = default;
        var clock = Stopwatch.StartNew();
        // The picture becomes floats once; the tiles are crops of that tensor, the mirror its own tensor.
        using var pixels = rgb.ToTensor();
        using var mirrored = options.Flip ? rgb.Mirror().ToTensor() : null;
        pre += clock.Elapsed;
        var views = new List<(Tensor Whole, bool Mirrored, Tile? Tile)> { (pixels, false, null) };
        if (mirrored != null) views.Add((mirrored, true, null));
        if (options.Tile > 0)
            foreach (var tile in Tiling.Tiles(rgb.Width, rgb.Height, [options.Tile])) views.Add((pixels, false, tile));
        var candidates = new List<DetectedObject>();
        foreach (var view in views)
        {
            clock.Restart();
            int width = view.Tile?.Width ?? rgb.Width, height = view.Tile?.Height ?? rgb.Height;
            using var crop = view.Tile is { } c ? Resample.Crop(view.Whole, c.X, c.Y, c.Width, c.Height) : null;
            var fit = new Letterbox(width, height, _recipe.Width, options.Fit);
            using var input = ModelInput.From(crop ?? view.Whole, _recipe, fit);
            pre += clock.Elapsed;
            clock.Restart();
            var outputs = _plan.Run(input);
            infer += clock.Elapsed;
            clock.Restart();
            try
            {
                // Each view keeps more than asked (a merge follows), never fewer.
                foreach (var d in Decode(outputs, fit, keep with { MaxDetections = Math.Max(keep.MaxDetections, 100) }))
                {
                    var box = view.Mirrored ? d.Box with { X = width - d.Box.Right } : d.Box;
                    if (view.Tile is { } t && Tiling.IsCut(box, t, rgb.Width, rgb.Height)) continue;
                    candidates.Add(d with { Box = view.Tile is { } at ? box.Offset(at.X, at.Y) : box });
                }
            }
            finally
            {
                foreach (var o in outputs) o.Dispose();
            }
            post += clock.Elapsed;
        }
        var clockMerge = Stopwatch.StartNew();
        var merged = views.Count == 1 ? candidates.Take(keep.MaxDetections).ToList()
            : Tiling.Merge(candidates, keep.MaxDetections, iouThreshold: keep.IoUThreshold, containment: 0.8, classAware: keep.ClassAware);
        post += clockMerge.Elapsed;
        return new ObjectDetections(Model, new DetectionResults(rgb.Width, rgb.Height, merged), new DetectionTiming(pre, infer, post));
    }

    private List<DetectedObject> Decode(Tensor[] outputs, Letterbox fit, DetectionOptions keep)
    {
        if (Model == "centernet")
        {
            var detections = outputs.FirstOrDefault(o => o.Rank == 3 && o.Shape[2] == 6)
                ?? throw new ModelFormatException("centernet gave no [1, K, 6] detections output; is it the human-models 3.0.4 file?");
            return CenterNetDecoder.Decode(detections.AsSpan<float>(), fit, keep);
        }
        int classes = CocoClasses.Names.Count, bins = 4 * (NanoDetRegMax + 1);
        var levels = new List<NanoDetLevel>();
        foreach (var scores in outputs.Where(o => o.Rank == 3 && o.Shape[2] == classes).OrderByDescending(o => o.Shape[1]))
        {
            int cells = scores.Shape[1], grid = (int)Math.Round(Math.Sqrt(cells));
            var dist = outputs.FirstOrDefault(o => o.Rank == 3 && o.Shape[1] == cells && o.Shape[2] == bins)
                ?? throw new ModelFormatException($"nanodet has no [1, {cells}, {bins}] box output beside its [1, {cells}, {classes}] scores.");
            levels.Add(new NanoDetLevel(_recipe.Width / grid, scores.ToArray<float>(), dist.ToArray<float>()));
        }
        if (levels.Count == 0) throw new ModelFormatException("nanodet gave no [1, cells, 80] score outputs; is it the human-models 3.0.4 file?");
        return NanoDetDecoder.Decode(levels, _recipe.Width, NanoDetRegMax, fit, keep);
    }



    /// <summary>Releases the model's weights.</summary>
    public void Dispose() => _model.Dispose();
}
