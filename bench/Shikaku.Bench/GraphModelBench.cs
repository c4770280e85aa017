using System.Diagnostics;
using System.Globalization;
using Shikaku.Graph;
using Shikaku.Models.Human;
using Shikaku.Tests;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Imaging;

namespace Shikaku.Bench;

/// <summary>
/// Milliseconds per forward pass of each human-models graph model on its golden input (warm-ups for 2 s, then the best and
/// the median of <c>runs</c>), the same measure as bench/reference/human's `bench` on TF.js; `profile` adds the time
/// per op type (from the executor's observer, so it includes the observer's own small cost).
/// </summary>
internal static class GraphModelBench
{
    public static void Run(string[] models, int runs, bool profile, Action<string, double>? emit = null, int nodes = 0)
    {
        foreach (var id in models.Length > 0 ? models : GraphModels.All.Select(m => m.Id).ToArray())
        {
            using var input = HumanGoldenInputs.Make(id);
            using var model = GraphModels.Load(id);
            var plan = model.Compile(optimize: true);
            // Warm up by time as well as count: .NET compiles a method quickly first and recompiles it optimized
            // after 30 calls, in the background, so 3 runs leave a small model timing its first-tier code.
            var warm = Stopwatch.StartNew();
            for (int i = 0; i < 3 || warm.Elapsed.TotalSeconds < 2; i++) Dispose(plan.Run(input));
            var times = new List<double>();
            for (int i = 0; i < runs; i++)
            {
                var sw = Stopwatch.StartNew();
                Dispose(plan.Run(input));
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            if (emit != null) emit(id, times[0]);
            else Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {id} shikaku min_ms {times[0]:0.00} median_ms {times[times.Count / 2]:0.00}"));
            if (!profile) continue;
            var byOp = new Dictionary<string, (double Ms, int Count)>();
            var byNode = new Dictionary<string, (double Ms, string Op, string Shape)>();
            var clock = Stopwatch.StartNew();
            for (int r = 0; r < 5; r++)
                Dispose(plan.Run([input], (node, index, _) =>
                {
                    if (index != 0) return;
                    double ms = clock.Elapsed.TotalMilliseconds;
                    clock.Restart();
                    var (sum, count) = byOp.GetValueOrDefault(node.Op);
                    byOp[node.Op] = (sum + ms / 5, count + 1);
                    byNode[node.Name] = (byNode.GetValueOrDefault(node.Name).Ms + ms / 5, node.Op, _.Shape.ToString());
                }));
            foreach (var (op, (ms, count)) in byOp.OrderByDescending(o => o.Value.Ms).Take(12))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {op,-28} {ms,8:0.00} ms  {count / 5,4} nodes"));
            foreach (var (name, (ms, op, shape)) in byNode.OrderByDescending(o => o.Value.Ms).Take(nodes))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {ms,7:0.000} ms  {op,-24} {shape,-20} {name}"));
        }
    }

    /// <summary>The whole `detect` of a photo: decode excluded, preprocess + inference + postprocess, best of runs.</summary>
    public static void Detect(string photo, string model, int runs, Action<string, double, string>? emit = null)
    {
        var image = ImageCodec.Load(photo);
        using var detector = new ObjectDetector(model);
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 3 || warm.Elapsed.TotalSeconds < 2; i++) detector.Detect(image);
        var best = double.MaxValue;
        ObjectDetections? last = null;
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            last = detector.Detect(image);
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        if (emit != null)
        {
            emit($"detect {model} {image.Width}x{image.Height}", best, "ms");
            emit($"detect {model} {image.Width}x{image.Height} peak memory", peakMb, "MB");
            return;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"detect {model} {image.Width}x{image.Height} shikaku min_ms {best:0.00} objects {last!.Results.Count} peak_working_set_mb {peakMb:0}"));
    }

    /// <summary>
    /// Which detector settings find more of what a person sees in darknet's photos (DarknetSeen): per model and
    /// setting, the objects found (right class, IoU >= 0.5), their mean IoU, and the detections in all.
    /// </summary>
    public static void Evaluate()
    {
        var photos = Shikaku.Assets.AssetCache.Fetch(Shikaku.Assets.KnownAssets.DarknetPhotos);
        var images = DarknetSeen.Objects.Select(o => o.Photo).Distinct().ToDictionary(p => p, p => ImageCodec.Load(photos[$"usr/share/darknet/data/{p}"]));
        var settings = new (string Name, ObjectDetectionOptions Options)[]
        {
            ("letterbox", new ObjectDetectionOptions()),
            ("stretch", new ObjectDetectionOptions(Fit: InputFit.Stretch)),
            ("letterbox+flip", new ObjectDetectionOptions(Flip: true)),
            ("letterbox+tile416", new ObjectDetectionOptions(Tile: 416)),
        };
        foreach (var model in ObjectDetector.Models)
        {
            using var detector = new ObjectDetector(model);
            foreach (var (name, options) in settings)
            {
                var found = images.ToDictionary(i => i.Key, i => detector.Detect(i.Value, options).Results.Items);
                var hits = DarknetSeen.Objects.Select(o =>
                {
                    var seen = Shikaku.Vision.Geometry.BoundingBox.FromXyxy(o.X1, o.Y1, o.X2, o.Y2);
                    return found[o.Photo].Where(d => o.Classes.Split('|').Contains(d.ClassName)).Select(d => d.Box.IoU(seen)).DefaultIfEmpty(0).Max();
                }).ToList();
                int hit = hits.Count(h => h >= 0.5);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"eval {model} {name}: {hit}/{hits.Count} seen objects found, mean IoU {hits.Where(h => h >= 0.5).DefaultIfEmpty(0).Average():0.000}, {found.Values.Sum(f => f.Count)} detections"));
            }
        }
    }

    private static void Dispose(Shikaku.Tensors.Tensor[] tensors)
    {
        foreach (var t in tensors) t.Dispose();
    }
}
