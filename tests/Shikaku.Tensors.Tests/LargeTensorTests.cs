using Shikaku.Tensors;

namespace Shikaku.Tests;

public class LargeTensorTests
{
    [Fact]
    public void ATensorOfMoreThan2To30FloatsCanBeMade()
    {
        // The pool rounded every large size up to a power of two: past 2^30 floats that is 2^31, no array's length.
        // Uninitialised and never written, so this costs address space, not memory.
        using var t = Tensor.Uninitialized(new Shape((1 << 30) + 1));
        Assert.Equal((1 << 30) + 1, t.Length);
        t.Span[^1] = 1f;
        Assert.Equal(1f, t.Span[^1]);
    }
}
