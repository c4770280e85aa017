using Shikaku.Kernels;
using Shikaku.Models.Human;
using Shikaku.Tensors;
using Shikaku.Vision.Detection;

namespace Shikaku.Vision.Imaging;

/// <summary>A picture made into a graph model's input as its <see cref="InputRecipe"/> says: fitted, coloured, normalized, laid out.</summary>
/// <example><code>
/// var recipe = GraphModels.Find("nanodet").Input;
/// var fit = new Letterbox(image.Width, image.Height, recipe.Width);
/// using var x = ModelInput.From(image, recipe, fit);   // [1, 3, 416, 416], BGR, (p - mean) / std
/// </code></example>
public static class ModelInput
{
    /// <summary>The whole picture, fitted by <paramref name="fit"/> (whose size must be the recipe's square input).</summary>
    public static Tensor From(Image image, InputRecipe recipe, Letterbox fit)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var pixels = image.ToRgb().ToTensor();
        return From(pixels, recipe, fit);
    }

    /// <summary>[1, H, W, 3] RGB pixels 0..255 of any size (a picture already made a tensor, or a crop of one), fitted by <paramref name="fit"/>.</summary>
    public static Tensor From(Tensor rgb, InputRecipe recipe, Letterbox fit)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (recipe.Width != fit.Size || recipe.Height != fit.Size)
            throw new ArgumentException($"The model takes {recipe.Width}x{recipe.Height}; the fit makes {fit.Size}x{fit.Size}.", nameof(fit));
        using var resized = fit.Apply(rgb);
        return FromPixels(resized, recipe);
    }

    /// <summary>[1, H, W, 3] RGB pixels 0..255 already at the input size, made into the recipe's tensor.</summary>
    public static Tensor FromPixels(Tensor rgb, InputRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(recipe);
        if (rgb.Rank != 4 || rgb.Shape[1] != recipe.Height || rgb.Shape[2] != recipe.Width || rgb.Shape[3] != 3)
            throw new ArgumentException($"Expected [N, {recipe.Height}, {recipe.Width}, 3] RGB pixels, got {rgb.Shape}.", nameof(rgb));
        int n = rgb.Shape[0], pixels = recipe.Height * recipe.Width, channels = recipe.Channels;
        var src = rgb.AsSpan<float>();
        var nhwc = Tensor.Uninitialized(new Shape(n, recipe.Height, recipe.Width, channels));
        var dst = nhwc.AsSpan<float>();
        var gray = InputRecipe.GrayWeights;
        for (int p = 0; p < n * pixels; p++)
        {
            float r = src[3 * p], g = src[3 * p + 1], b = src[3 * p + 2];
            switch (recipe.Colors)
            {
                case ColorOrder.Gray:
                    dst[p] = recipe.Normalize(gray[0] * r + gray[1] * g + gray[2] * b, 0);
                    break;
                case ColorOrder.Bgr:
                    dst[3 * p] = recipe.Normalize(b, 0);
                    dst[3 * p + 1] = recipe.Normalize(g, 1);
                    dst[3 * p + 2] = recipe.Normalize(r, 2);
                    break;
                default:
                    dst[3 * p] = recipe.Normalize(r, 0);
                    dst[3 * p + 1] = recipe.Normalize(g, 1);
                    dst[3 * p + 2] = recipe.Normalize(b, 2);
                    break;
            }
        }
        var laid = nhwc;
        if (recipe.Layout == TensorLayout.Nchw)
        {
            laid = TensorOps.Transpose(nhwc, 0, 3, 1, 2);
            nhwc.Dispose();
        }
        if (recipe.DType == DType.Float32) return laid;
        using (laid)
        {
            using var rounded = TensorOps.Round(laid);
            return TensorOps.Cast(rounded, recipe.DType);
        }
    }
}
