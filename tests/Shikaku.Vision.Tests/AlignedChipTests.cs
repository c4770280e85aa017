using Shikaku.Tensors;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;

namespace Shikaku.Tests;

public sealed class AlignedChipTests
{
    // The eye-aligned chip from its definition (the loop FaceAnalyzer had before the warp op): chip pixel
    // (u, v) samples the image at the reference point + R(angle) ((u + 0.5, v + 0.5) - (0.5, 0.43) size),
    // bilinear in double, black outside.
    private static float[] Reference(float[] src, int w, int h, double degrees, Point2D centre, int size)
    {
        double angle = degrees * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle);
        double Sample(int x, int y, int c) => x < 0 || y < 0 || x >= w || y >= h ? 0 : src[(y * w + x) * 3 + c];
        var dst = new float[size * size * 3];
        for (int v = 0; v < size; v++)
            for (int u = 0; u < size; u++)
            {
                double dx = u + 0.5 - 0.5 * size, dy = v + 0.5 - 0.43 * size;
                double x = centre.X + dx * cos - dy * sin - 0.5, y = centre.Y + dx * sin + dy * cos - 0.5;
                int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
                double fx = x - x0, fy = y - y0;
                for (int c = 0; c < 3; c++)
                {
                    double top = Sample(x0, y0, c) * (1 - fx) + Sample(x0 + 1, y0, c) * fx;
                    double bottom = Sample(x0, y0 + 1, c) * (1 - fx) + Sample(x0 + 1, y0 + 1, c) * fx;
                    dst[(v * size + u) * 3 + c] = (float)(top * (1 - fy) + bottom * fy);
                }
            }
        return dst;
    }

    [Fact]
    public void TheEyeAlignedChipIsTheRotatedSquareSampledBilinearly()
    {
        var rng = new Random(21);
        for (int trial = 0; trial < 10; trial++)
        {
            int w = rng.Next(20, 80), h = rng.Next(20, 80), size = rng.Next(5, 40);
            var src = Enumerable.Range(0, w * h * 3).Select(_ => (float)(rng.NextDouble() * 255)).ToArray();
            // Two eyes and a mouth at random; the chip turns by the eye line's angle.
            var points = new Point2D[68];
            for (int i = 0; i < 68; i++) points[i] = new Point2D(w / 2.0 + rng.NextDouble() * 8 - 4, h / 2.0 + rng.NextDouble() * 8 - 4);
            for (int i = 36; i < 42; i++) points[i] = new Point2D(w * 0.3 + rng.NextDouble(), h * 0.4 + rng.NextDouble() * 6);
            for (int i = 42; i < 48; i++) points[i] = new Point2D(w * 0.7 + rng.NextDouble(), h * 0.4 + rng.NextDouble() * 6);
            var landmarks = new FaceLandmarks(points, w, h);
            var centre = Point2D.Centre([landmarks.LeftEye, landmarks.RightEye, landmarks.Mouth]);
            using var pixels = Tensor.FromArray(src, 1, h, w, 3);
            using var chip = FaceAnalyzer.RotatedChip(pixels, landmarks, centre, size);
            var expected = Reference(src, w, h, landmarks.EyeLineAngle, centre, size);
            var actual = chip.ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) Assert.InRange(Math.Abs(actual[i] - expected[i]), 0, 1e-3); // 0..255 values, float weights
        }
    }
}
