using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using BitMiracle.LibTiff.Classic;
using Xunit.Abstractions;

namespace Shikaku.Cli.Tests;

/// <summary>Decompression bombs made once per run: 10000 x 10000 PNG (RGBA) and TIFF (RGB), a few hundred KB each.</summary>
public sealed class Bombs : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "shikaku-memory-tests", Guid.NewGuid().ToString("N"));
    public string Png => Path.Combine(Dir, "bomb.png");
    public string Tiff => Path.Combine(Dir, "bomb.tif");
    public string OverLimitPng => Path.Combine(Dir, "bomb-10001.png");

    public Bombs()
    {
        Directory.CreateDirectory(Dir);
        WritePng(Png, 10000, 10000);
        WritePng(OverLimitPng, 10001, 10000);
        WriteTiff(Tiff, 10000, 10000);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    /// <summary>8-bit RGBA of one colour, streamed through zlib row by row (nothing image-sized in this process).</summary>
    private static void WritePng(string path, int width, int height)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bits per sample
        ihdr[9] = 6; // RGBA
        Chunk(file, "IHDR", ihdr);
        var row = new byte[1 + 4 * width]; // filter type 0, then the pixels
        for (int x = 0; x < width; x++) (row[1 + 4 * x], row[2 + 4 * x], row[3 + 4 * x], row[4 + 4 * x]) = (200, 120, 40, 255);
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
            for (int y = 0; y < height; y++) z.Write(row);
        Chunk(file, "IDAT", idat.ToArray());
        Chunk(file, "IEND", []);
    }

    /// <summary>8-bit RGB, 16 rows per strip, Deflate: one strip compressed once and written by LibTiff for every strip.</summary>
    private static void WriteTiff(string path, int width, int height)
    {
        const int rows = 16;
        var strip = new byte[width * 3 * rows];
        for (int i = 0; i < strip.Length; i += 3) (strip[i], strip[i + 1], strip[i + 2]) = (200, 120, 40);
        using var packed = new MemoryStream();
        using (var z = new ZLibStream(packed, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(strip);
        byte[] raw = packed.ToArray();
        using var tiff = BitMiracle.LibTiff.Classic.Tiff.Open(path, "w") ?? throw new IOException($"cannot write {path}");
        tiff.SetField(TiffTag.IMAGEWIDTH, width);
        tiff.SetField(TiffTag.IMAGELENGTH, height);
        tiff.SetField(TiffTag.SAMPLESPERPIXEL, 3);
        tiff.SetField(TiffTag.BITSPERSAMPLE, 8);
        tiff.SetField(TiffTag.PHOTOMETRIC, Photometric.RGB);
        tiff.SetField(TiffTag.PLANARCONFIG, PlanarConfig.CONTIG);
        tiff.SetField(TiffTag.COMPRESSION, Compression.ADOBE_DEFLATE);
        tiff.SetField(TiffTag.ROWSPERSTRIP, rows);
        for (int s = 0; s < height / rows; s++) tiff.WriteRawStrip(s, raw, raw.Length);
        tiff.WriteDirectory();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(typed, 0);
        data.CopyTo(typed, 4);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        s.Write(word);
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        Span<uint> table = stackalloc uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[(int)n] = c;
        }
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = table[(int)((crc ^ b) & 0xFF)] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}

/// <summary>
/// The memory the CLI needs on hostile images, measured as the child process's peak resident set.
/// Stated bound for `filter`: at most <see cref="BytesPerPixel"/> bytes a pixel plus <see cref="Baseline"/>
/// for the runtime, whatever the file's size: decode (image 3 B/px, a PNG's RGBA 4 B/px for a moment),
/// filter (output 3 B/px, 16 MB strips of floats), encode (output and the encoder's RGBA copy).
/// </summary>
public class MemoryBoundTests(Bombs bombs, ITestOutputHelper log) : IClassFixture<Bombs>
{
    public const int BytesPerPixel = 12;
    public const long Baseline = 300L << 20;
    private const long Pixels = 10000L * 10000;

    [Fact]
    public void FilteringAPngBombStaysWithinTheStatedBound() => FilterWithinBound(bombs.Png);

    [Fact]
    public void FilteringATiffBombStaysWithinTheStatedBound() => FilterWithinBound(bombs.Tiff);

    private void FilterWithinBound(string bomb)
    {
        string output = Path.Combine(bombs.Dir, Path.GetFileName(bomb) + "-out.png");
        var run = Measure("filter", bomb, "--kernel", "box:3", "-o", output, "--overwrite");
        if (run == null) return;
        var (code, text, peak) = run.Value;
        log.WriteLine($"{Path.GetFileName(bomb)} ({new FileInfo(bomb).Length / 1024} KB): peak {peak / (1 << 20)} MB = {(double)peak / Pixels:0.0} bytes/pixel; {text.Trim()}");
        Assert.True(code == 0, text);
        Assert.True(new FileInfo(output).Length > 0);
        long bound = BytesPerPixel * Pixels + Baseline;
        Assert.True(peak <= bound, $"peak {peak / (1 << 20)} MB is over the bound of {bound / (1 << 20)} MB ({BytesPerPixel} B/px + {Baseline >> 20} MB)");
    }

    /// <summary>Face detection holds the image (3 B/px) and its float tensor (12 B/px), which the detectors and crops read.</summary>
    public const int FaceBytesPerPixel = 16;

    [Fact]
    public void DetectingFacesInA100MegapixelImageStaysWithinTheStatedBound()
    {
        var run = Measure("faces", "detect", bombs.Png, "--json");
        if (run == null) return;
        var (code, text, peak) = run.Value;
        log.WriteLine($"faces detect on 100 megapixels: peak {peak / (1 << 20)} MB = {(double)peak / Pixels:0.0} bytes/pixel");
        Assert.True(code == 0, text);
        long bound = FaceBytesPerPixel * Pixels + Baseline;
        Assert.True(peak <= bound, $"peak {peak / (1 << 20)} MB is over the bound of {bound / (1 << 20)} MB ({FaceBytesPerPixel} B/px + {Baseline >> 20} MB)");
    }

    [Fact]
    public void TheDefaultPixelLimitRefusesABombFromItsHeader()
    {
        var sw = Stopwatch.StartNew();
        var run = Measure("filter", bombs.OverLimitPng, "--kernel", "box:3", "-o", Path.Combine(bombs.Dir, "never.png"));
        if (run == null) return;
        var (code, text, peak) = run.Value;
        log.WriteLine($"10001x10000 refused: peak {peak / (1 << 20)} MB in {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, code);
        Assert.Contains("100 megapixels is over the limit of 100 megapixels", text.ReplaceLineEndings(" "));
        Assert.True(peak < 200L << 20, $"peak {peak >> 20} MB: the pixels were decoded");
        Assert.False(File.Exists(Path.Combine(bombs.Dir, "never.png")));
    }

    [Fact]
    public void HugeArgumentsAreRefusedBeforeAnythingIsAllocated()
    {
        long before = GC.GetTotalAllocatedBytes();
        var (code, output) = TestConsole.Run("conv2d", "--matrix", "1", "--kernel", "1", "--padding", "10000");
        Assert.Equal(1, code);
        Assert.Contains("10000 is over the limit of 1000", output);
        string image = Path.Combine(bombs.Dir, "small.png");
        Vision.Imaging.ImageCodec.Save(new Vision.Imaging.Image(64, 48, 1, new byte[64 * 48]), image, new() { Overwrite = true });
        (code, output) = TestConsole.Run("filter", image, "-k", "box:20000", "-o", Path.Combine(bombs.Dir, "wide.png"));
        Assert.Equal(1, code);
        Assert.Contains("the box size 20000 is over the limit of 255", output);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 << 20);
    }

    /// <summary>The built CLI: copied next to this test assembly, or in its own bin folder.</summary>
    private static string? CliDll()
    {
        string here = Path.Combine(AppContext.BaseDirectory, "shikaku.dll");
        if (File.Exists(here) && File.Exists(Path.ChangeExtension(here, ".runtimeconfig.json"))) return here;
        string? dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "Shikaku.sln"))) dir = Path.GetDirectoryName(dir);
        if (dir == null) return null;
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string built = Path.Combine(dir, "src", "Shikaku.Cli", "bin", config, "net10.0", "shikaku.dll");
        return File.Exists(built) ? built : null;
    }

    /// <summary>
    /// Runs the CLI as a child process under GNU time and returns its exit code, output and peak
    /// resident set in bytes; null (with the reason in the test log) when it cannot be measured here.
    /// </summary>
    private (int Code, string Output, long PeakBytes)? Measure(params string[] args)
    {
        const string time = "/usr/bin/time";
        if (!File.Exists(time))
        {
            log.WriteLine($"SKIPPED: {time} is missing (Debian package 'time'); the peak memory cannot be measured.");
            return null;
        }
        string? dll = CliDll();
        Assert.True(dll != null, "shikaku.dll was not found next to the tests or in src/Shikaku.Cli/bin");
        string report = Path.Combine(bombs.Dir, Guid.NewGuid().ToString("N") + ".time");
        var start = new ProcessStartInfo(time) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-f", "%M", "-o", report, "dotnet", dll! }.Concat(args)) start.ArgumentList.Add(a);
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"shikaku {string.Join(' ', args)} ran for more than 120 s");
        }
        string output = stdout.Result + stderr.Result;
        string kb = File.ReadAllLines(report).Last(l => l.Trim().Length > 0 && char.IsDigit(l.Trim()[0]));
        return (process.ExitCode, output, long.Parse(kb.Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024);
    }
}
