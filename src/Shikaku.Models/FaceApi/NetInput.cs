using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Models.FaceApi;

/// <summary>
/// How face-api.js turns an image into a network input (its NetInput.toBatchTensor on a tensor):
/// pad to a square with zeros (at the bottom/right, or centred), then resize bilinearly with TF's
/// legacy sampling to inputSize x inputSize. Pixel values stay 0..255.
/// </summary>
public static class NetInput
{
    /// <summary>[1, H, W, 3] pixels 0..255 -> [1, inputSize, inputSize, 3].</summary>
    public static Tensor ToBatch(Tensor image, int inputSize, bool centre)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank != 4 || image.Shape[0] != 1 || image.Shape[3] != 3)
            throw new ArgumentException($"A face network needs one RGB image [1, H, W, 3]; got {image.Shape}.", nameof(image));
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The input size must be positive.");
        int h = image.Shape[1], w = image.Shape[2];
        int side = Math.Max(h, w), diff = Math.Abs(h - w);
        int append = (int)JsRound(diff * (centre ? 0.5 : 1.0));
        int prepend = centre ? diff - append : 0;
        int top = h < w ? prepend : 0, left = w < h ? prepend : 0;
        return Resample.ResizeZeroPadded(image, top, left, side, side, inputSize, inputSize);
    }

    /// <summary>face-api's computeReshapedDimensions: the image's size once its longer side is inputSize.</summary>
    public static (int Width, int Height) ReshapedDimensions(int width, int height, int inputSize)
    {
        double scale = (double)inputSize / Math.Max(height, width);
        return ((int)JsRound(width * scale), (int)JsRound(height * scale));
    }

    /// <summary>JavaScript's Math.round: halves round up (towards +infinity).</summary>
    public static double JsRound(double x)
    {
        double f = Math.Floor(x);
        return x - f >= 0.5 ? f + 1 : f;
    }
}
