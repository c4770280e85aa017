using System.Diagnostics;
using Shikaku.Assets;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;

namespace Shikaku.Bench;

/// <summary>
/// Per-image face timings on sample1.jpg (1920x1280): best of 10 runs after 3 warm-up runs (the first loads the
/// networks; the JIT's tiered compilation settles over the next), as face-api.js's runner measures them.
/// </summary>
internal static class FaceBench
{
    public static void Run(Action<string, string, double, string> emit, int runs = 10, int warmups = 3)
    {
        var image = ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApi)["package/demo/sample1.jpg"]).ToRgb();
        using var analyzer = new FaceAnalyzer();
        void Time(string name, Action action)
        {
            for (int i = 0; i < warmups; i++) action();
            double best = double.MaxValue;
            for (int i = 0; i < runs; i++)
            {
                var sw = Stopwatch.StartNew();
                action();
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
            }
            emit("faces", name, best, "ms");
        }
        Time("detect-ssd", () => analyzer.Detect(image));
        Time("detect-tiny", () => analyzer.Detect(image, new FaceDetectorOptions { Detector = FaceDetectorKind.Tiny }));
        Time("analyze", () => analyzer.Analyze(image));
    }
}
