using System.Diagnostics;

namespace Shikaku.Cli.Tests;

/// <summary>The CLI as a separate process, the way a shell or a script runs it.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shikaku-process").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The repository root (the folder holding Shikaku.sln).</summary>
    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Shikaku.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Shikaku.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs a program with its stdout and stderr piped, an optional environment and a time limit.</summary>
    internal static (int Code, string Stdout, string Stderr, TimeSpan Elapsed) Start(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutSeconds} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result, sw.Elapsed);
    }

    /// <summary>The shikaku.dll built beside the tests, run by the same dotnet host.</summary>
    /// <summary>A hostile input must end within a minute: a hang fails the test instead of stalling the run.</summary>
    internal static (int Code, string Stdout, string Stderr, TimeSpan Elapsed) Shikaku(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Start(DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "shikaku.dll"), .. args], environment, timeoutSeconds: 120);

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (host != null && File.Exists(host)) return host;
        var self = Environment.ProcessPath;
        return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    [Fact]
    public void TheLauncherDoesNotRebuildAfterATestBuild()
    {
        if (OperatingSystem.IsWindows()) return;
        string launcher = Path.Combine(Root(), "shikaku");
        var first = Start("bash", [launcher, "--version"], timeoutSeconds: 600);
        Assert.True(first.Code == 0, first.Stderr);
        // A test build rewrites generated sources under obj/ (AssemblyInfo, global usings): they are not sources.
        string generated = Path.Combine(Root(), "src", "Shikaku.Cli", "obj", "shikaku-launcher-test.g.cs");
        File.WriteAllText(generated, "// generated");
        try
        {
            var second = Start("bash", [launcher, "--version"]);
            Assert.Equal(0, second.Code);
            Assert.DoesNotContain("Building", second.Stderr);
            Assert.StartsWith("shikaku ", second.Stdout);
            Assert.True(second.Elapsed < TimeSpan.FromSeconds(5), $"the second start took {second.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            File.Delete(generated);
        }
    }

    [Fact]
    public void PipedOutputIsNeverWrapped()
    {
        string data = string.Join(' ', Enumerable.Range(1, 60));
        var (code, stdout, stderr, _) = Shikaku(null, "conv1d", "--data", data, "--kernel", "1 1");
        Assert.True(code == 0, stderr);
        Assert.Equal(string.Join(' ', Enumerable.Range(1, 59).Select(i => 2 * i + 1)) + "\n", stdout);
        var help = Shikaku(null, "help", "faces");
        Assert.Contains(help.Stdout.Split('\n'), l => l.Length > 100); // long lines stay whole
    }

    [Fact]
    public void TheDemoWritesItsWorkedExamplesWithoutNpm()
    {
        if (OperatingSystem.IsWindows()) return;
        string emptyPath = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        string cache = Directory.CreateDirectory(Path.Combine(_dir, "cache")).FullName;
        string outDir = Path.Combine(_dir, "demo");
        var env = new Dictionary<string, string> { ["PATH"] = emptyPath, ["SHIKAKU_CACHE"] = cache };
        var (code, stdout, stderr, _) = Shikaku(env, "demo", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("0 2 0 1 1 1 2 1", stdout);
        Assert.Contains("npm", stderr);
        string html = File.ReadAllText(Path.Combine(outDir, "index.html"));
        Assert.Contains("The lecture's worked examples", html);
        Assert.Contains("not shown", html);
        Assert.Contains("npm", html);
        Assert.False(File.Exists(Path.Combine(outDir, "faces.jpg")));
        // Run again: its own page is replaced without --overwrite.
        Assert.Equal(0, Shikaku(env, "demo", "--out", outDir).Code);
    }

    [Fact]
    public void AFullDiskLeavesNoPartialCsv()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // needs a tmpfs mount
        string disk = Directory.CreateDirectory(Path.Combine(_dir, "small-disk")).FullName;
        if (Start("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk]).Code != 0) return; // not allowed here
        try
        {
            // Fill the disk to the last byte.
            using (var filler = new FileStream(Path.Combine(disk, "filler"), FileMode.Create))
            {
                try
                {
                    var block = new byte[4096];
                    while (true) { filler.Write(block); filler.Flush(); }
                }
                catch (IOException) { }
            }
            string photo = Assets.AssetCache.Fetch(Assets.KnownAssets.FaceApi)["package/demo/sample1.jpg"];
            string csv = Path.Combine(disk, "faces.csv");
            var (code, _, stderr) = TestConsole.RunSplit("faces", "count", photo, "--out", csv);
            Assert.Equal(1, code);
            Assert.Contains("faces.csv: cannot be written", stderr);
            Assert.Equal(["filler"], Directory.GetFileSystemEntries(disk).Select(Path.GetFileName));
        }
        finally
        {
            Start("umount", [disk]);
        }
    }
}
