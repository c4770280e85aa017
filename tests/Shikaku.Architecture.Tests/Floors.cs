using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Shikaku.Architecture.Tests;

/// <summary>
/// Each project may use only the floors below it (../shared/DESIGN.md). The rules are checked on the
/// compiled assemblies: the compiler records a reference only when code uses it, so a rule fails the
/// moment a file in a lower floor names a higher one.
/// </summary>
public class Floors
{
    /// <summary>The Shikaku assemblies each project may reference; a project missing here fails <see cref="EveryProjectHasAFloor"/>.</summary>
    public static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Shikaku.Tensors"] = [],
        ["Shikaku.Assets"] = ["Shikaku.Tensors"],
        ["Shikaku.Graph"] = ["Shikaku.Tensors"],
        ["Shikaku.Datasets"] = ["Shikaku.Tensors", "Shikaku.Assets"],
        ["Shikaku.Formats"] = ["Shikaku.Tensors", "Shikaku.Graph"],
        ["Shikaku.NN"] = ["Shikaku.Tensors", "Shikaku.Graph", "Shikaku.Formats", "Shikaku.Datasets"],
        ["Shikaku.Models"] = ["Shikaku.Tensors", "Shikaku.Assets", "Shikaku.Graph", "Shikaku.Formats"],
        ["Shikaku.Vision"] = ["Shikaku.Tensors", "Shikaku.Assets", "Shikaku.Graph", "Shikaku.Formats", "Shikaku.Models"],
        ["Shikaku.Explain"] = ["Shikaku.Tensors", "Shikaku.Graph", "Shikaku.Formats", "Shikaku.NN", "Shikaku.Models", "Shikaku.Vision"],
        ["Shikaku.Gallery"] = ["Shikaku.Tensors", "Shikaku.Assets", "Shikaku.Graph", "Shikaku.Formats", "Shikaku.Models", "Shikaku.Vision"],
        ["Shikaku.App"] = ["Shikaku.Tensors", "Shikaku.Assets", "Shikaku.Graph", "Shikaku.Datasets", "Shikaku.Formats", "Shikaku.NN",
            "Shikaku.Models", "Shikaku.Vision", "Shikaku.Explain", "Shikaku.Gallery"],
        // The CLI starts the studio (`shikaku studio`); the studio never needs the CLI.
        ["Shikaku.Cli"] = ["Shikaku.App", "Shikaku.Studio", "Shikaku.Tensors", "Shikaku.Assets", "Shikaku.Datasets", "Shikaku.NN", "Shikaku.Models",
            "Shikaku.Vision", "Shikaku.Explain", "Shikaku.Gallery", "Shikaku.Formats", "Shikaku.Graph"],
        ["Shikaku.Studio"] = ["Shikaku.App", "Shikaku.Tensors", "Shikaku.Assets", "Shikaku.Datasets", "Shikaku.NN", "Shikaku.Models",
            "Shikaku.Vision", "Shikaku.Explain", "Shikaku.Gallery", "Shikaku.Formats", "Shikaku.Graph"],
    };

    /// <summary>Front-end packages: only the front ends and the app layer may use them.</summary>
    private static readonly string[] FrontEndPackages = ["Spectre.Console", "ScottPlot", "Microsoft.AspNetCore"];
    private static readonly string[] FrontEnds = ["Shikaku.Cli", "Shikaku.Studio"];

    public static IEnumerable<object[]> Projects() => Repo.SourceProjects().Select(p => new object[] { p });

    [Fact]
    public void EveryProjectHasAFloor()
    {
        var missing = Repo.SourceProjects().Where(p => !Allowed.ContainsKey(p)).ToArray();
        Assert.True(missing.Length == 0, $"src/ has projects with no floor rule in {nameof(Floors)}.{nameof(Allowed)}: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void ReferencesOnlyFloorsBelow(string project)
    {
        var used = Repo.Load(project).GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Shikaku.")).ToArray();
        var broken = used.Except(Allowed[project]).ToArray();
        Assert.True(broken.Length == 0, $"{project} references {string.Join(", ", broken)}, which is not below it.");
    }

    [Fact]
    public void TheEngineReferencesNoShikakuAssembly() =>
        Assert.DoesNotContain(Repo.Load("Shikaku.Tensors").GetReferencedAssemblies(), a => a.Name!.StartsWith("Shikaku."));

    [Fact]
    public void DatasetsDoNotNeedNeuralNets() =>
        Assert.DoesNotContain(Repo.Load("Shikaku.Datasets").GetReferencedAssemblies(), a => a.Name == "Shikaku.NN");

    [Theory]
    [MemberData(nameof(Projects))]
    public void FrontEndPackagesStayInFrontEnds(string project)
    {
        if (FrontEnds.Contains(project) || project == "Shikaku.App") return;
        var used = Repo.Load(project).GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => FrontEndPackages.Any(p => n == p || n.StartsWith(p + "."))).ToArray();
        Assert.True(used.Length == 0, $"{project} is below the app layer but uses {string.Join(", ", used)}.");
    }

    [Fact]
    public void EveryLibraryErrorIsAShikakuException()
    {
        var strays = Repo.SourceProjects().Select(Repo.Load)
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsPublic && typeof(Exception).IsAssignableFrom(t) && !typeof(ShikakuException).IsAssignableFrom(t))
            .Select(t => t.FullName).ToArray();
        Assert.True(strays.Length == 0, $"public exceptions that do not derive from ShikakuException: {string.Join(", ", strays)}");
    }

    public static IEnumerable<object[]> FrontEndProjects() => FrontEnds.Select(p => new object[] { p });

    [Theory]
    [MemberData(nameof(FrontEndProjects))]
    public void FrontEndsReachKernelsOnlyThroughTheAppLayer(string frontEnd)
    {
        var kernels = ReferencedNamespaces(frontEnd).Where(n => n == "Shikaku.Kernels" || n.StartsWith("Shikaku.Kernels.", StringComparison.Ordinal)).Order().ToArray();
        Assert.True(kernels.Length == 0, $"{frontEnd} uses types of {string.Join(", ", kernels)}; give the app layer (Shikaku.App) a request that takes what the front end parsed.");
    }

    /// <summary>The namespaces of types an assembly names in its metadata (what its code uses from other assemblies).</summary>
    internal static HashSet<string> ReferencedNamespaces(string project)
    {
        using var pe = new PEReader(File.OpenRead(Repo.AssemblyPath(project)));
        var md = pe.GetMetadataReader();
        return md.TypeReferences.Select(h => md.GetString(md.GetTypeReference(h).Namespace)).ToHashSet();
    }
}

/// <summary>Where the projects and their compiled assemblies are.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Shikaku.sln"))) return d.FullName;
        throw new InvalidOperationException("Shikaku.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The project names under src/.</summary>
    public static IEnumerable<string> SourceProjects() =>
        Directory.GetDirectories(Path.Combine(Root, "src"))
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
            .Select(Path.GetFileName).OfType<string>().Order();

    /// <summary>The compiled assembly of a project (its &lt;AssemblyName&gt;, else the project name), copied beside these tests.</summary>
    public static string AssemblyPath(string project)
    {
        string csproj = File.ReadAllText(Path.Combine(Root, "src", project, project + ".csproj"));
        var name = System.Text.RegularExpressions.Regex.Match(csproj, "<AssemblyName>([^<]+)</AssemblyName>");
        return Path.Combine(AppContext.BaseDirectory, (name.Success ? name.Groups[1].Value : project) + ".dll");
    }

    public static Assembly Load(string project) => Assembly.LoadFrom(AssemblyPath(project));
}
