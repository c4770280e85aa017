using System.IO.Compression;

namespace Shikaku.Datasets.Tests;

public class DatasetTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("shikaku-idx").FullName, name);

    [Fact]
    public void RealMnistHasTheKnownShapesAndLabels()
    {
        var (train, test) = KnownDatasets.Load("mnist");
        Assert.Equal((60000, 28, 28), (train.Count, train.Height, train.Width));
        Assert.Equal(10000, test.Count);
        // The first training digits of MNIST are 5, 0, 4, 1, 9.
        Assert.Equal(new byte[] { 5, 0, 4, 1, 9 }, train.Labels[..5]);
        var (x, labels) = train.Batch([0, 1]);
        using (x)
        {
            Assert.Equal(new Shikaku.Tensors.Shape(2, 28, 28, 1), x.Shape);
            Assert.InRange(x.Span.ToArray().Max(), 0.99f, 1f);
            Assert.Equal([5, 0], labels);
        }
    }

    [Fact]
    public void RealFashionMnistComesFromDebianGzippedIdx()
    {
        var (train, test) = KnownDatasets.Load("fashion-mnist");
        Assert.Equal((60000, 10000), (train.Count, test.Count));
        Assert.Equal("Ankle boot", train.ClassNames[train.Labels[0]]); // the first Fashion-MNIST item is an ankle boot
    }

    [Fact]
    public void GzippedAndRawIdxReadTheSame()
    {
        byte[] idx = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
        string raw = Temp("x-idx2-ubyte"), gz = Temp("x-idx2-ubyte.gz");
        File.WriteAllBytes(raw, idx);
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Optimal))
            z.Write(idx);
        Assert.Equal([2, 3], Idx.Read(raw).Dimensions);
        Assert.Equal(Idx.Read(raw).Values, Idx.Read(gz).Values);
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8C, 8, 1 }, "wrong magic number")]
    [InlineData(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1 }, "element type 0x0D")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 5, 1, 2 }, "truncated: the header promises 5 values")]
    [InlineData(new byte[] { 0, 0, 8 }, "too short")]
    public void BrokenIdxFilesAreExplained(byte[] content, string expected)
    {
        string path = Temp("bad-idx");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ImagesAndLabelsThatDisagreeAreRefused()
    {
        string images = Temp("i"), labels = Temp("l");
        File.WriteAllBytes(images, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 7, 9]);
        File.WriteAllBytes(labels, [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => KnownDatasets.FromIdx("t", images, labels, ["a", "b", "c", "d"]));
        Assert.Contains("2 images but 3 labels", e.Message);
    }
}

public class AugmentationTests
{
    [Fact]
    public void AugmentedImagesAreShiftedOrRotatedCopiesWithTheSameInk()
    {
        var (train, _) = KnownDatasets.Load("mnist");
        var augmented = new Augmented(train, maxShift: 2, maxDegrees: 10, seed: 1);
        int[] indices = [0, 1, 2, 3];
        var (original, labels) = train.Batch(indices);
        var (changed, labels2) = augmented.Batch(indices);
        using (original)
        using (changed)
        {
            Assert.Equal(labels, labels2);
            Assert.NotEqual(original.ToArray(), changed.ToArray());
            for (int b = 0; b < 4; b++)
            {
                float before = original.Span.Slice(b * 784, 784).ToArray().Sum();
                float after = changed.Span.Slice(b * 784, 784).ToArray().Sum();
                Assert.InRange(after / before, 0.85, 1.15); // the digit stays inside the field
            }
        }
        var noChange = new Augmented(train, maxShift: 0, maxDegrees: 0);
        var (same, _) = noChange.Batch(indices);
        var (again, _) = train.Batch(indices);
        using (same)
        using (again)
            Assert.Equal(again.ToArray(), same.ToArray());
    }
}
