using System.Diagnostics;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Tests;

/// <summary>Headers that lie about the size, files that never end, images too large for a buffer: a clear error, never a crash.</summary>
public class ImageLimitTests
{
    private static readonly ImageLoadOptions NoPixelLimit = new() { MaxPixels = long.MaxValue };

    [Theory]
    [InlineData(33000u, 33000u)] // RGBA size wraps in 32 bits: Skia wrote past the buffer (SIGSEGV)
    [InlineData(23200u, 23200u)] // RGBA size just over 2^31: OverflowException
    [InlineData(65535u, 65535u)]
    [InlineData(100000u, 100000u)]
    public void APngHeaderClaimingMoreThanABufferHoldsIsRefusedBeforeDecoding(uint width, uint height)
    {
        byte[] png = LyingFiles.Png(width, height);
        Assert.True(png.Length < 200);
        var e = Assert.Throws<ImageException>(() => ImageCodec.Decode(png, "lie.png", NoPixelLimit));
        Assert.Contains($"lie.png: {width}x{height} is too large to decode", e.Message);
        Assert.Contains("the largest image Shikaku can hold is 536,870,897 pixels", e.Message);
    }

    [Theory]
    [InlineData(33000u, 33000u)]
    [InlineData(50000u, 50000u)] // w*h over 2^31: the int raster's size overflowed
    [InlineData(uint.MaxValue, 2u)] // a width that a signed read takes for negative
    [InlineData(uint.MaxValue, uint.MaxValue)] // w*h overflows 64 bits
    public void ATiffIfdClaimingMoreThanABufferHoldsIsRefusedBeforeDecoding(uint width, uint height)
    {
        var e = Assert.Throws<ImageException>(() => ImageCodec.Decode(LyingFiles.Tiff(width, height), "lie.tif", NoPixelLimit));
        // Past 2^63 pixels even long.MaxValue is a limit the header is over.
        Assert.Matches($"^lie.tif: {width}x{height} (is too large to decode|= .* is over the limit)", e.Message);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("tif")]
    [InlineData("tif-strips")]
    public void ALyingHeaderUnderTheLimitsIsATruncatedFileQuickly(string kind)
    {
        // 20000 x 20000 fits every buffer; the file holds a few bytes of it. The error comes at the first
        // band of rows, not after decoding (or allocating) 400 million pixels of nothing.
        byte[] file = kind switch
        {
            "png" => LyingFiles.Png(20000, 20000),
            "tif" => LyingFiles.Tiff(4000, 3000),
            _ => LyingFiles.Tiff(20000, 20000, rowsPerStrip: 16),
        };
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<ImageException>(() => ImageCodec.Decode(file, "lie", NoPixelLimit));
        Assert.StartsWith("lie: ", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
    }

    [Fact]
    public void ConversionsAndEncodersRefuseSizesTheirBuffersCannotHold()
    {
        // Uninitialised and never written: these cost address space, not memory.
        var gray = new Image(40000, 20000, 1, GC.AllocateUninitializedArray<byte>(800_000_000));
        var toRgb = Assert.Throws<ImageException>(gray.ToRgb);
        Assert.Contains("2,400,000,000 bytes", toRgb.Message);
        var bmp = Assert.Throws<ImageException>(() => ImageCodec.Encode(gray, ImageFormat.Bmp));
        Assert.Contains("too large for BMP", bmp.Message);
        var webp = Assert.Throws<ImageException>(() => ImageCodec.Encode(gray, ImageFormat.Webp));
        Assert.Contains("at most 16383x16383", webp.Message);
        var rgb = new Image(30000, 20000, 3, GC.AllocateUninitializedArray<byte>(1_800_000_000));
        var png = Assert.Throws<ImageException>(() => ImageCodec.Encode(rgb, ImageFormat.Png));
        Assert.Contains("2,400,000,000 bytes as RGBA", png.Message);
        var gif = Assert.Throws<ImageException>(() => ImageCodec.Encode(new Image(70000, 1, 1, new byte[70000]), ImageFormat.Gif));
        Assert.Contains("GIF holds at most 65535x65535", gif.Message);
    }

    [Fact]
    public void AFifoIsRefusedInsteadOfWaitedOn()
    {
        if (OperatingSystem.IsWindows()) return;
        string fifo = Path.Combine(TestImages.TempDir(), "photo.png");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo));
        var e = WithinSeconds(10, () => ImageCodec.Load(fifo));
        Assert.Contains("named pipe", e.Message);
    }

    [Fact]
    public void DevZeroIsRefusedInsteadOfReadUntilMemoryRunsOut()
    {
        if (!File.Exists("/dev/zero")) return;
        var e = WithinSeconds(10, () => ImageCodec.Load("/dev/zero"));
        Assert.Contains("character device", e.Message);
    }

    [Fact]
    public void FilesAndStreamsOverMaxFileBytesAreRefusedWithoutReadingThemWhole()
    {
        string path = Path.Combine(TestImages.TempDir(), "big.png");
        File.WriteAllBytes(path, new byte[2048]);
        var options = new ImageLoadOptions { MaxFileBytes = 1024 };
        var file = Assert.Throws<ImageException>(() => ImageCodec.Load(path, options));
        Assert.Contains("2,048 bytes", file.Message);
        Assert.Equal(1L << 30, new ImageLoadOptions().MaxFileBytes);

        // An endless, unseekable stream: read one byte past the limit, then stop.
        var endless = new EndlessStream();
        var stream = WithinSeconds(10, () => ImageCodec.Load(endless, "pipe", options));
        Assert.Contains("pipe: the stream holds more than 1,024 bytes", stream.Message);
        Assert.Equal(1025, endless.BytesRead);
    }

    [Fact]
    public void AMissingFileAndAFolderAreClearErrors()
    {
        string dir = TestImages.TempDir();
        Assert.Contains("no such file", Assert.Throws<ImageException>(() => ImageCodec.Load(Path.Combine(dir, "nope.png"))).Message);
        Assert.Contains("is a folder", Assert.Throws<ImageException>(() => ImageCodec.Load(dir)).Message);
    }

    /// <summary>The ImageException <paramref name="load"/> throws, failing (not hanging) if it takes longer.</summary>
    private static ImageException WithinSeconds(int seconds, Func<Image> load)
    {
        var task = Task.Run(load);
        Assert.True(Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds))).Result == task, $"still reading after {seconds} s");
        Assert.True(task.IsFaulted, "the load succeeded");
        return Assert.IsType<ImageException>(task.Exception!.InnerException);
    }

    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            BytesRead += count;
            return count;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
