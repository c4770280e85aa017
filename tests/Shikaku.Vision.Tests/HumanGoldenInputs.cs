using Shikaku.Assets;
using Shikaku.Models.Human;
using Shikaku.Tensors;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Imaging;

namespace Shikaku.Tests;

/// <summary>
/// The input tensor of each human-models graph model in the parity goldens, made from real photos by Shikaku's own
/// decoder and <see cref="ModelInput"/>: the bench's `human-inputs` writes them as .npy for the TF.js reference
/// (bench/reference/human), and the parity tests make them again and check their SHA-256 against the golden's.
/// </summary>
internal static class HumanGoldenInputs
{
    private static string Darknet(string name) => AssetCache.Fetch(KnownAssets.DarknetPhotos)[$"usr/share/darknet/data/{name}"];

    private static string FaceApiPhoto(int n) => AssetCache.Fetch(KnownAssets.FaceApiDemoPhotos)[$"package/demo/sample{n}.jpg"];

    // Regions of sample1.jpg (1920x1280): the middle face, squared (from face-api.js's box 838,421 186x228), and its left eye.
    private static readonly (int X, int Y, int Size) Face = (801, 405, 260), Eye = (838, 521, 58);

    /// <summary>Model id -> (the photo it sees, what part of it, the input tensor).</summary>
    public static Tensor Make(string id)
    {
        var recipe = GraphModels.Find(id).Input;
        Tensor Whole(string path, InputFit fit)
        {
            var image = ImageCodec.Load(path);
            return ModelInput.From(image, recipe, new Letterbox(image.Width, image.Height, recipe.Width, fit));
        }
        Tensor Region(string path, (int X, int Y, int Size) r)
        {
            var image = ImageCodec.Load(path).Crop(r.X, r.Y, r.Size, r.Size);
            return ModelInput.From(image, recipe, new Letterbox(r.Size, r.Size, recipe.Width, InputFit.Stretch));
        }
        return id switch
        {
            "centernet" or "nanodet" => Whole(Darknet("dog.jpg"), InputFit.Letterbox),
            "movenet-lightning" => Whole(Darknet("person.jpg"), InputFit.Letterbox),
            "selfie" => Whole(Darknet("person.jpg"), InputFit.Stretch),
            "blazeface" => Whole(FaceApiPhoto(1), InputFit.Letterbox),
            "iris" => Region(FaceApiPhoto(1), Eye),
            _ => Region(FaceApiPhoto(1), Face),
        };
    }
}
