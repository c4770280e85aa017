using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Datasets;

/// <summary>
/// Random small shifts and rotations of each training image, drawn afresh every time a batch is
/// made (so every epoch sees new variants). Pixels that come from outside the image are 0 (background).
/// </summary>
/// <example><code>model.Fit(new Augmented(train, maxShift: 2, maxDegrees: 10), epochs: 10)</code></example>
public sealed class Augmented(ILabelledData inner, int maxShift = 2, double maxDegrees = 10, int seed = 0) : ILabelledData
{
    private readonly Random _rng = new(seed);

    /// <inheritdoc/>
    public int Count => inner.Count;
    /// <inheritdoc/>
    public Shape ExampleShape => inner.ExampleShape;

    /// <inheritdoc/>
    public (Tensor Inputs, int[] Labels) Batch(ReadOnlySpan<int> indices)
    {
        var (x, labels) = inner.Batch(indices);
        int h = ExampleShape[0], w = ExampleShape[1], c = ExampleShape.Rank > 2 ? ExampleShape[2] : 1, size = h * w * c;
        var source = new float[size];
        var span = x.Span;
        for (int b = 0; b < indices.Length; b++)
        {
            var image = span.Slice(b * size, size);
            image.CopyTo(source);
            double degrees = (_rng.NextDouble() * 2 - 1) * maxDegrees;
            double dx = _rng.Next(-maxShift, maxShift + 1), dy = _rng.Next(-maxShift, maxShift + 1);
            // Rotate about the centre, then shift; the warp maps each output pixel back to its source.
            var matrix = AffineWarp.Rotation(degrees, (w - 1) / 2.0, (h - 1) / 2.0, dx, dy);
            AffineWarp.Apply<float>(source, 1, h, w, c, matrix, image, h, w);
        }
        return (x, labels);
    }
}
