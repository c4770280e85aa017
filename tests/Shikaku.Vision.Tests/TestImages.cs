using Shikaku.Assets;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Tests;

/// <summary>Real photos (face-api.js demo set, fetched and verified on first use) and a temp folder.</summary>
internal static class TestImages
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Photos = new(() => AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos));

    public static string Sample(int i) => Photos.Value[$"package/demo/sample{i}.jpg"];

    /// <summary>A crop of a real photo, small enough for exhaustive checks.</summary>
    public static Image SmallPhoto(int width = 96, int height = 64) => ImageCodec.Load(Sample(1)).Crop(800, 300, width, height);

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "shikaku-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
