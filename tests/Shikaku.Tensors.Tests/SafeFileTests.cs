using System.Diagnostics;
using Shikaku.IO;

namespace Shikaku.Tensors.Tests;

public class SafeFileTests
{
    private static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "shikaku-safefile-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public async Task AFifoIsRefusedAtOnceInsteadOfBlocking()
    {
        if (OperatingSystem.IsWindows()) return;
        string fifo = Path.Combine(TempDir(), "model.safetensors");
        using (var p = Process.Start("mkfifo", fifo)) p.WaitForExit();
        var read = Task.Run(() => SafeFile.ReadAllBytes(fifo, 1 << 20, "a weights"));
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(first == read && read.IsFaulted, "reading a FIFO blocked");
        var e = Assert.Throws<IOException>(() => SafeFile.EnsureRegular(fifo, "a weights"));
        Assert.Contains("named pipe (FIFO)", e.Message);
    }

    [Fact]
    public void DeviceFilesAndFoldersAreRefused()
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Contains("character device", Assert.Throws<IOException>(() => SafeFile.ReadAllBytes("/dev/zero", 1 << 20, "an image")).Message);
        Assert.Contains("is a folder", Assert.Throws<IOException>(() => SafeFile.ReadAllBytes(TempDir(), 10, "an image")).Message);
        Assert.Throws<FileNotFoundException>(() => SafeFile.ReadAllBytes(Path.Combine(TempDir(), "missing"), 10, "an image"));
    }

    [Fact]
    public void ReadsAreBoundedByTheFormatsLimit()
    {
        string path = Path.Combine(TempDir(), "big.json");
        File.WriteAllBytes(path, new byte[1001]);
        Assert.Equal(1001, SafeFile.ReadAllBytes(path, 1001, "a model description").Length);
        var e = Assert.Throws<IOException>(() => SafeFile.ReadAllBytes(path, 1000, "a model description"));
        Assert.Contains("1,001 bytes", e.Message);
        Assert.Contains("1,000", e.Message);
    }

    [Fact]
    public void AWriteThatFailsLeavesNeitherAPartialFileNorATemporaryOne()
    {
        string dir = TempDir(), path = Path.Combine(dir, "faces.csv");
        Assert.Throws<InvalidOperationException>(() => SafeFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new InvalidOperationException("disk full");
        }, overwrite: false));
        Assert.Empty(Directory.GetFileSystemEntries(dir));

        File.WriteAllText(path, "the user's file");
        Assert.Contains("--overwrite", Assert.Throws<IOException>(() => SafeFile.WriteAllText(path, "new", overwrite: false)).Message);
        Assert.Equal("the user's file", File.ReadAllText(path));
        SafeFile.WriteAllText(path, "new", overwrite: true);
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }
}
