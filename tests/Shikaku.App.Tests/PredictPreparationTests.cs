using Shikaku.Datasets;
using Shikaku.Vision.Digits;
using Shikaku.Vision.Imaging;

namespace Shikaku.App.Tests;

/// <summary>predict prepares a photo of a digit the way MNIST was made (moved here from the CLI's tests: it needs no console).</summary>
public class PredictPreparationTests
{
    /// <summary>An MNIST test digit as a phone photo would show it: dark ink on light paper, 5x larger, off-centre.</summary>
    private static Image AsPhoto(ImageDataset test, int index)
    {
        int size = 28 * 5, margin = 40;
        var px = Enumerable.Repeat((byte)235, (size + 2 * margin) * (size + margin)).ToArray();
        int width = size + 2 * margin;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                px[(y + margin / 2) * width + x + margin] = (byte)(235 - test.Pixels[index * 784 + (y / 5) * 28 + x / 5] * 0.85);
        return new Image(width, size + margin, 1, px);
    }

    [Fact]
    public void PreparedPhotoOfADigitLooksLikeTheMnistOriginal()
    {
        var (_, test) = KnownDatasets.Load("mnist");
        for (int i = 0; i < 5; i++)
        {
            using var t = MnistStyle.Prepare(AsPhoto(test, i));
            var a = t.ToArray();
            var b = test.Pixels.AsSpan(i * 784, 784).ToArray().Select(v => v / 255f).ToArray();
            double ma = a.Average(), mb = b.Average();
            double cov = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
            double corr = cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
            Assert.True(corr > 0.8, $"digit {i}: correlation {corr:F2} with the MNIST original");
        }
        Assert.Throws<ArgumentException>(() => MnistStyle.Prepare(new Image(30, 30, 1, Enumerable.Repeat((byte)200, 900).ToArray())));
    }
}
