using System.Text.Json;
using Shikaku.Assets;
using Shikaku.Tensors;
using Shikaku.Vision.Imaging;

namespace Shikaku.Tests;

/// <summary>
/// The golden outputs of face-api.js 1.7.15 itself (TF.js 4.22 wasm backend), computed by
/// bench/reference/faceapi/faceapi_reference.js on the exact pixels Shikaku decodes from the demo photos.
/// </summary>
internal static class FaceApiGolden
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "faceapi-1.7.15-wasm.json"))));

    public static JsonElement Root => Doc.Value.RootElement;

    public static JsonElement Image(string stem) => Root.GetProperty("images").GetProperty(stem);

    public static JsonElement Networks => Root.GetProperty("networks");

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>A demo photo as Shikaku decodes it (EXIF orientation applied), RGB.</summary>
    public static Image Photo(string stem) =>
        ImageCodec.Load(AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/{stem}.jpg"]).ToRgb();

    /// <summary>The integer crop x, y, width, height of a photo as a [1, h, w, 3] tensor.</summary>
    public static Tensor Crop(Image photo, JsonElement crop)
    {
        int x = crop.GetProperty("x").GetInt32(), y = crop.GetProperty("y").GetInt32();
        int w = crop.GetProperty("width").GetInt32(), h = crop.GetProperty("height").GetInt32();
        var t = Tensor.Uninitialized(new Shape(1, h, w, 3));
        var s = t.Span;
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w * 3; c++)
                s[r * w * 3 + c] = photo.Pixels[((y + r) * photo.Width + x) * 3 + c];
        return t;
    }
}
