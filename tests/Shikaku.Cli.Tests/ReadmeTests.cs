using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Shikaku.Cli.Tests;

/// <summary>The README's C# snippets compile exactly as written, in a project like `dotnet new console` makes.</summary>
public partial class ReadmeTests
{
    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();

    /// <summary>The usings a new console project has (ImplicitUsings enabled).</summary>
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    public static TheoryData<int, string> Snippets()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "README.md")) || !File.Exists(Path.Combine(dir.FullName, "Shikaku.sln"))) dir = dir.Parent;
        string readme = File.ReadAllText(Path.Combine(dir.FullName, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var data = new TheoryData<int, string>();
        int n = 0;
        foreach (Match m in CSharpBlock().Matches(readme)) data.Add(++n, m.Groups[1].Value);
        return data;
    }

    [Fact]
    public void TheReadmeHasCSharpSnippets() => Assert.True(Snippets().Count >= 2, "the README's C# examples are gone");

    [Theory]
    [MemberData(nameof(Snippets))]
    public void EverySnippetCompiles(int number, string code)
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var shikaku = Directory.GetFiles(AppContext.BaseDirectory, "Shikaku.*.dll").Where(f => !f.Contains(".Tests", StringComparison.Ordinal));
        var references = platform.Concat(shikaku).Select(p => MetadataReference.CreateFromFile(p));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create($"readme_snippet_{number}",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(code, parse)],
            references, new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(result.Success, $"README snippet {number} does not compile:\n{string.Join('\n', errors)}\n---\n{code}");
    }
}
