using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Shikaku.Assets;
using Shikaku.Testing;

namespace Shikaku.Tests;

/// <summary>The asset cache unpacks only pinned regular files, and never anywhere but its own folder.</summary>
public sealed class ArchiveExtractionTests : TempFolderTest
{
    private string Destination => Path.Combine(Root, "staged");
    private string Outside => Path.Combine(Root, "outside");

    private static readonly byte[] Content = Encoding.UTF8.GetBytes("pinned content\n");

    private static readonly PackageAsset Asset = new("hostile-test", "1.0.0", new Dictionary<string, string>
    {
        ["package/data/ok.bin"] = Convert.ToHexStringLower(SHA256.HashData(Content)),
        ["package/data/other.bin"] = Convert.ToHexStringLower(SHA256.HashData(Content)),
    });

    public ArchiveExtractionTests() : base("shikaku-archive") => Directory.CreateDirectory(Outside);

    private static TarEntry File(string name, byte[]? data = null) =>
        new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data ?? Content) };

    private static TarEntry Link(TarEntryType type, string name, string target) => new PaxTarEntry(type, name) { LinkName = target };

    /// <summary>A .tgz as npm pack writes one, with the given entries.</summary>
    private string Tarball(params TarEntry[] entries)
    {
        string path = Path.Combine(Root, $"{Guid.NewGuid():N}.tgz");
        using (var file = System.IO.File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
            foreach (var e in entries) writer.WriteEntry(e);
        return path;
    }

    private void AssertNothingOutside()
    {
        Assert.Empty(Directory.GetFileSystemEntries(Outside));
        Assert.Equal(["outside", "staged"], Directory.GetDirectories(Root).Select(Path.GetFileName).Order().Where(n => n != null));
    }

    [Fact]
    public void OnlyPinnedRegularFilesAreUnpacked()
    {
        AssetCache.Extract(Tarball(File("package/README.md"), File("package/data/ok.bin"), File("./package/data/other.bin"),
            Link(TarEntryType.SymbolicLink, "package/docs", "/usr/share/doc")), Asset, Destination);
        Assert.Equal(Content, System.IO.File.ReadAllBytes(Path.Combine(Destination, "package/data/ok.bin")));
        Assert.Equal(Content, System.IO.File.ReadAllBytes(Path.Combine(Destination, "package/data/other.bin")));
        Assert.Equal(2, Directory.GetFiles(Destination, "*", SearchOption.AllDirectories).Length); // no README, no link
    }

    public static TheoryData<string> EscapingNames => ["../outside/evil.bin", "package/../../outside/evil.bin", "/tmp/shikaku-absolute-evil.bin", "package/data/../../../evil.bin", "..\\outside\\evil.bin"];

    [Theory]
    [MemberData(nameof(EscapingNames))]
    public void AnEntryNamedOutsideTheFolderRejectsTheArchive(string name)
    {
        var e = Assert.Throws<AssetException>(() => AssetCache.Extract(Tarball(File(name), File("package/data/ok.bin")), Asset, Destination));
        Assert.Contains("outside the extraction folder", e.Message);
        Assert.Contains(Asset.Spec, e.Message);
        AssertNothingOutside();
        Assert.False(System.IO.File.Exists("/tmp/shikaku-absolute-evil.bin"));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "/etc/passwd")]
    [InlineData(TarEntryType.SymbolicLink, "../../../outside/secret")]
    [InlineData(TarEntryType.HardLink, "/etc/passwd")]
    [InlineData(TarEntryType.HardLink, "package/README.md")]
    public void APinnedFileThatIsALinkIsRefused(TarEntryType type, string target)
    {
        var e = Assert.Throws<AssetException>(() => AssetCache.Extract(Tarball(File("package/README.md"), Link(type, "package/data/ok.bin", target)), Asset, Destination));
        Assert.Contains("link", e.Message);
        Assert.Contains(target, e.Message);
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "package/data/ok.bin")));
        AssertNothingOutside();
    }

    [Fact]
    public void ALinkedFolderCannotRedirectALaterEntry()
    {
        // "package/data" as a link to a folder outside, then a pinned file under it: the link is never
        // created, so the file lands in a real folder inside the destination.
        AssetCache.Extract(Tarball(Link(TarEntryType.SymbolicLink, "package/data", Outside), File("package/data/ok.bin")), Asset, Destination);
        var data = new DirectoryInfo(Path.Combine(Destination, "package/data"));
        Assert.Null(data.LinkTarget);
        Assert.True(System.IO.File.Exists(Path.Combine(data.FullName, "ok.bin")));
        AssertNothingOutside();
    }

    [Fact]
    public void SpecialFilesAndCorruptArchivesAreRefused()
    {
        Assert.Contains("not a regular file", Assert.Throws<AssetException>(() =>
            AssetCache.Extract(Tarball(new PaxTarEntry(TarEntryType.Directory, "package/data/ok.bin")), Asset, Destination)).Message);
        string corrupt = Path.Combine(Root, "corrupt.tgz");
        System.IO.File.WriteAllBytes(corrupt, [0x1F, 0x8B, 8, 0, 1, 2, 3]);
        Assert.Contains("corrupt", Assert.Throws<AssetException>(() => AssetCache.Extract(corrupt, Asset, Destination)).Message);
    }

    [Fact]
    public void ADebianPackageIsUnpackedThroughTheSameChecks()
    {
        if (OperatingSystem.IsWindows() || !System.IO.File.Exists("/usr/bin/dpkg-deb")) return;
        // A real .deb built by dpkg-deb: one pinned file, one pinned name that is a symlink out of the package.
        string tree = Path.Combine(Root, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "DEBIAN"));
        System.IO.File.WriteAllText(Path.Combine(tree, "DEBIAN", "control"),
            "Package: hostile-test\nVersion: 1.0.0\nArchitecture: all\nMaintainer: Shikaku tests <tests@localhost>\nDescription: test\n");
        Directory.CreateDirectory(Path.Combine(tree, "package/data"));
        System.IO.File.WriteAllBytes(Path.Combine(tree, "package/data/ok.bin"), Content);
        System.IO.File.CreateSymbolicLink(Path.Combine(tree, "package/data/other.bin"), "/etc/hostname");
        string deb = Path.Combine(Root, "hostile-test.deb");
        using (var p = Process.Start(new ProcessStartInfo("dpkg-deb", ["--root-owner-group", "--build", tree, deb]) { RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        }
        var e = Assert.Throws<AssetException>(() => AssetCache.DebianExtract(deb, Asset, Destination));
        Assert.Contains("symbolic link to '/etc/hostname'", e.Message);

        System.IO.File.Delete(Path.Combine(tree, "package/data/other.bin"));
        System.IO.File.WriteAllBytes(Path.Combine(tree, "package/data/other.bin"), Content);
        System.IO.File.Delete(deb);
        using (var p = Process.Start(new ProcessStartInfo("dpkg-deb", ["--root-owner-group", "--build", tree, deb]) { RedirectStandardOutput = true })!) p.WaitForExit();
        string fresh = Path.Combine(Root, "fresh");
        AssetCache.DebianExtract(deb, Asset, fresh);
        Assert.Equal(Content, System.IO.File.ReadAllBytes(Path.Combine(fresh, "package/data/other.bin")));
        Assert.Equal(2, Directory.GetFiles(fresh, "*", SearchOption.AllDirectories).Length);
    }
}
