using Shikaku.Assets;
using Shikaku.Vision.Imaging;

namespace Shikaku.Bench;

/// <summary>Writes each face-api demo photo as raw RGB bytes plus its size, as Shikaku decoded it.</summary>
internal static class FacePixels
{
    public static void Dump(string dir)
    {
        Directory.CreateDirectory(dir);
        var files = AssetCache.Fetch(KnownAssets.FaceApi);
        foreach (var (name, path) in files.Where(f => f.Key.EndsWith(".jpg", StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var image = ImageCodec.Load(path).ToRgb();
            string stem = Path.GetFileNameWithoutExtension(name);
            File.WriteAllBytes(Path.Combine(dir, stem + ".rgb"), image.Pixels);
            File.WriteAllText(Path.Combine(dir, stem + ".json"), $"{{\"width\":{image.Width},\"height\":{image.Height}}}");
            Console.WriteLine($"{stem}: {image.Width}x{image.Height}");
        }
        Console.WriteLine(Path.GetDirectoryName(files["package/model/ssd_mobilenetv1_model.bin"]));
    }
}
