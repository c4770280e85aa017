using Shikaku.Assets;
using Shikaku.Kernels;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.App.Tests;

/// <summary>
/// The gallery's threshold, calibrated on the six face-api.js demo photos: their 22 faces as 22 different people
/// (231 impostor pairs), and each face against itself in three altered copies of its photo (66 genuine pairs).
/// </summary>
public sealed class GalleryCalibrationTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact]
    public void AtTheDefaultThresholdNoTwoDemoFacesMatchAndAlteredCopiesStillDo()
    {
        using var analyzer = new FaceAnalyzer(Models.FaceApi.FaceApiModels.Folder());
        var options = new FaceAnalysisOptions { Expressions = false, AgeGender = false, Descriptors = true };
        var faces = new List<float[]>();
        var genuine = new List<double>();
        for (int n = 1; n <= 6; n++)
        {
            var photo = ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"]);
            var found = analyzer.Analyze(photo, options);
            faces.AddRange(found.Select(f => f.Descriptor!));
            var copies = new (Image Copy, Func<BoundingBox, BoundingBox> Map)[]
            {
                (photo.Mirror(), b => b with { X = photo.Width - b.X - b.Width }),
                (photo.Resize(photo.Width / 2, photo.Height / 2, ResizeMode.Area), b => b.Scale(0.5, 0.5)),
                (ImageCodec.Decode(ImageCodec.Encode(photo, ImageFormat.Jpeg, new ImageSaveOptions { Quality = 40 }), "copy.jpg"), b => b),
            };
            foreach (var (copy, map) in copies)
            {
                var again = analyzer.Analyze(copy, options);
                foreach (var f in found)
                {
                    var same = again.MaxBy(c => c.Detection.Box.IoU(map(f.Detection.Box)));
                    Assert.True(same != null && same.Detection.Box.IoU(map(f.Detection.Box)) > 0.5, $"sample{n}: a face was lost in a copy");
                    genuine.Add(FaceAnalyzer.Distance(f.Descriptor!, same!.Descriptor!));
                }
            }
        }
        var impostor = new List<double>();
        for (int i = 0; i < faces.Count; i++)
            for (int j = i + 1; j < faces.Count; j++) impostor.Add(FaceAnalyzer.Distance(faces[i], faces[j]));
        foreach (double t in new[] { 0.4, GalleryUseCases.DefaultThreshold, 0.5, 0.6 })
            log.WriteLine($"threshold {t:0.00}: false matches {impostor.Count(d => d < t)}/{impostor.Count}, false non-matches {genuine.Count(d => d >= t)}/{genuine.Count}");
        log.WriteLine($"nearest different faces {impostor.Min():0.000}; farthest copy {genuine.Max():0.000}");
        Assert.Equal(22, faces.Count);
        Assert.Equal(66, genuine.Count);
        // Measured: no false match (the nearest two different faces are 0.468 apart), 1 of 66 copies not matched (0.62: a half-size copy).
        Assert.Equal(0, impostor.Count(d => d < GalleryUseCases.DefaultThreshold));
        Assert.True(genuine.Count(d => d >= GalleryUseCases.DefaultThreshold) <= 2, $"{genuine.Count(d => d >= GalleryUseCases.DefaultThreshold)} of 66 copies not matched");
    }
}
