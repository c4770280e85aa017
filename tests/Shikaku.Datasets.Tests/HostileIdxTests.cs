using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;

namespace Shikaku.Datasets.Tests;

/// <summary>An IDX header is untrusted: what it promises is checked against what the file can hold before anything is allocated.</summary>
public class HostileIdxTests
{
    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("shikaku-hostile-idx").FullName, name);

    private static byte[] Header(params int[] dims)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = 8;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return header;
    }

    private static string Write(byte[] bytes, bool gzip = false)
    {
        string path = Temp(gzip ? "x-idx-ubyte.gz" : "x-idx-ubyte");
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }
        using var f = File.Create(path);
        using var z = new GZipStream(f, CompressionLevel.Optimal);
        z.Write(bytes);
        return path;
    }

    /// <summary>Read must refuse the file, naming it, having allocated less than <paramref name="maxAllocated"/> bytes.</summary>
    private static InvalidDataException Refused(string path, long maxAllocated = 1 << 20)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(path, e.Message);
        Assert.True(allocated < maxAllocated, $"allocated {allocated:N0} bytes for a refused file");
        return e;
    }

    [Fact]
    public void HugeDimensionsAreRefusedWithoutAllocating()
    {
        var e = Refused(Write([.. Header(int.MaxValue, int.MaxValue, int.MaxValue), 1, 2, 3]));
        Assert.Contains("more than", e.Message);
        Refused(Write([.. Header(65536, 65536, 65536, 65536), 1, 2, 3], gzip: true));
    }

    [Fact]
    public void ACountLargerThanTheFileIsRefusedBeforeReading()
    {
        // 60000 MNIST images promised, 100 bytes present: the old reader allocated 47 MB first.
        var e = Refused(Write([.. Header(60000, 28, 28), .. new byte[100]]));
        Assert.Contains("truncated: the header promises 47040000 values (60000x28x28) but the file holds 100", e.Message);
    }

    [Fact]
    public void AGzippedHeaderPromisingMoreThanItsSizeCanHoldIsRefusedAtOnce()
    {
        // 2e9 values from a file of a few dozen bytes: beyond DEFLATE's ratio, so refused before decompressing.
        var e = Refused(Write([.. Header(2000, 1000, 1000), 0], gzip: true));
        Assert.Contains("more than a file of this size can hold", e.Message);
    }

    [Fact]
    public void ATruncatedGzippedFileCostsNoMoreThanItsData()
    {
        var noise = new byte[50_000];
        new Random(1).NextBytes(noise); // incompressible: the size bound alone cannot tell the lie
        var e = Refused(Write([.. Header(5_000_000), .. noise], gzip: true), maxAllocated: 3 << 20);
        Assert.Contains("truncated: the header promises 5000000 values (5000000) but the file holds 50000", e.Message);
    }

    [Fact]
    public void ZeroDimensionsAreRefused()
    {
        Assert.Contains("dimension 0 is 0", Refused(Write([.. Header(0, 28, 28)])).Message);
        Assert.Contains("dimension 2 is 0", Refused(Write([.. Header(10, 28, 0)], gzip: true)).Message);
    }

    [Fact]
    public void LargeHonestFilesStillRead()
    {
        var pixels = new byte[3 * 1000 * 1000]; // more than the first 1 MB buffer: the buffer grows
        new Random(2).NextBytes(pixels);
        foreach (bool gzip in new[] { false, true })
        {
            var data = Idx.Read(Write([.. Header(3, 1000, 1000), .. pixels], gzip));
            Assert.Equal([3, 1000, 1000], data.Dimensions);
            Assert.Equal(pixels, data.Values);
        }
    }

    [Fact]
    public async Task FifosAndFoldersAreRefusedAtOnce()
    {
        if (OperatingSystem.IsWindows()) return;
        string fifo = Temp("fifo-idx-ubyte");
        using (var p = Process.Start("mkfifo", fifo)) p.WaitForExit();
        var read = Task.Run(() => Idx.Read(fifo));
        Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(60))) == read, "reading a FIFO blocked");
        Assert.Contains("FIFO", Assert.IsAssignableFrom<IOException>(read.Exception!.InnerException).Message);
        string folder = Directory.CreateTempSubdirectory("shikaku-idx-folder").FullName;
        Assert.Contains("is a folder", Assert.Throws<IOException>(() => Idx.Read(folder)).Message);
    }
}
