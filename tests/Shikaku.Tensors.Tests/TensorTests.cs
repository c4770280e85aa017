using Shikaku.Tensors;

namespace Shikaku.Tests;

public class TensorTests
{
    [Fact]
    public void ReshapeIsAViewThatSharesMemoryAndInfersOneDimension()
    {
        using var x = Tensor.Zeros(2, 3, 4);
        using var flat = x.Reshape(2, -1);
        Assert.Equal(new Shape(2, 12), flat.Shape);
        flat[1, 5] = 7f;
        Assert.Equal(7f, x[1, 1, 1]);
    }

    [Fact]
    public void MemoryOutlivesTheOriginalWhileAViewIsAlive()
    {
        var x = Tensor.FromArray([1, 2, 3, 4], 2, 2);
        var view = x.Slice(1, 1);
        x.Dispose();
        Assert.Equal([3f, 4f], view.ToArray());
        view.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view.Span.Length);
    }

    [Fact]
    public void BadShapesAndIndicesAreNamedInTheError()
    {
        using var x = Tensor.Zeros(2, 3);
        Assert.Contains("(2, 3)", Assert.Throws<ArgumentException>(() => x.Reshape(4, 2)).Message);
        Assert.Throws<ArgumentException>(() => x.Reshape(-1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 2));
        Assert.ThrowsAny<ArgumentException>(() => x[2, 0]);
        Assert.Contains("expected", Assert.Throws<ArgumentException>(() => x.ExpectShape(new Shape(3, 2), "weights")).Message);
    }

    [Fact]
    public void ZerosFromPooledMemoryAreZero()
    {
        using (var dirty = Tensor.Full(new Shape(1000), 5f)) { }
        using var z = Tensor.Zeros(1000);
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
    }
}
