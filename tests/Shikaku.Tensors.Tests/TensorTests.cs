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

    [Fact]
    public void TensorsAreFloat32UnlessMadeWithAnotherDtype()
    {
        using var f = Tensor.Zeros(2, 3);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(24, f.ByteLength);
        using var i = Tensor.FromInt32([1, -2, 3], 3);
        using var l = Tensor.FromInt64([1L << 40], 1);
        using var b = Tensor.FromBool([true, false], 2);
        using var u = Tensor.FromUInt8([255], 1);
        Assert.Equal((DType.Int32, 12L), (i.DType, i.ByteLength));
        Assert.Equal((DType.Int64, 8L), (l.DType, l.ByteLength));
        Assert.Equal((DType.Bool, 2L), (b.DType, b.ByteLength));
        Assert.Equal((DType.UInt8, 1L), (u.DType, u.ByteLength));
        Assert.Equal([1, -2, 3], i.ToArray<int>());
        Assert.Equal(1L << 40, l.AsSpan<long>()[0]);
        Assert.Equal([true, false], b.ToArray<bool>());
        Assert.Equal("Tensor(3) int32", i.ToString());
    }

    [Fact]
    public void ReadingATensorAsTheWrongTypeNamesBothTypes()
    {
        using var i = Tensor.FromInt32([1, 2], 2);
        var e = Assert.Throws<InvalidOperationException>(() => i.Span.Length);
        Assert.Contains("int32", e.Message);
        Assert.Contains("float32", e.Message);
        Assert.Contains("AsSpan<int>", e.Message);
        Assert.Contains("int64", Assert.Throws<InvalidOperationException>(() => i.AsSpan<long>().Length).Message);
        using var f = Tensor.Zeros(2);
        Assert.Contains("bool", Assert.Throws<InvalidOperationException>(() => f.AsSpan<bool>().Length).Message);
        Assert.Contains("needs float32", Assert.Throws<ArgumentException>(() => i.ExpectDType(DType.Float32, "x")).Message);
        Assert.Throws<ArgumentException>(() => Tensor.FromInt64([1, 2, 3], 2, 2));
    }

    [Fact]
    public void ViewsAndClonesKeepTheDtypeAndPooledIntegersStartAtZero()
    {
        using (var dirty = Tensor.FromInt64(Enumerable.Repeat(7L, 500).ToArray(), 500)) { }
        using var z = Tensor.Zeros(new Shape(500), DType.Int64);
        Assert.All(z.ToArray<long>(), v => Assert.Equal(0L, v));
        using var x = Tensor.FromInt32([1, 2, 3, 4, 5, 6], 3, 2);
        using var view = x.Slice(1, 2).Reshape(4);
        Assert.Equal(DType.Int32, view.DType);
        Assert.Equal([3, 4, 5, 6], view.ToArray<int>());
        using var copy = view.Clone();
        copy.AsSpan<int>()[0] = 9;
        Assert.Equal(3, x.AsSpan<int>()[2]);
        var owned = new bool[] { true, false, true };
        using var wrapped = Tensor.Wrap(owned, 3);
        wrapped.AsSpan<bool>()[1] = true;
        Assert.True(owned[1]);
    }

    [Fact]
    public void HostileSizesAreRefusedForEveryDtype()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Int32, DType.Int64, DType.Bool, DType.UInt8 })
            Assert.Contains("split the data", Assert.Throws<ArgumentException>(() => Tensor.Zeros(new Shape(65536, 65536), dtype)).Message);
    }
}
