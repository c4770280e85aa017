using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shikaku.App;

/// <summary>
/// The one place where results become their JSON contracts (schemas in docs/CLI.md): every front end
/// writes the same bytes for the same result.
/// </summary>
/// <example><code>string json = Contract.Serialize(EngineInfo.Current("1.0").ToJson());</code></example>
public static class Contract
{
    /// <summary>
    /// Documents written to stdout or sent over HTTP: indented, nulls kept, NaN as "NaN", and a result record that is
    /// its own contract written with camelCase names (as ASP.NET Core writes them).
    /// </summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Files a use case writes beside its images (faces' per-image JSON, encode's descriptors).</summary>
    public static readonly JsonSerializerOptions FileOptions = new() { WriteIndented = true };

    /// <summary>A result document as its JSON contract.</summary>
    public static string Serialize(object document) => JsonSerializer.Serialize(document, Options);

    /// <summary>A document as written into a file.</summary>
    public static string SerializeForFile(object document) => JsonSerializer.Serialize(document, FileOptions);

    /// <summary>A matrix as rows (JSON has no 2-D arrays).</summary>
    public static T[][] Rows<T>(T[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(r => Enumerable.Range(0, m.GetLength(1)).Select(c => m[r, c]).ToArray()).ToArray();
}

/// <summary>
/// A request that cannot be carried out as given (a missing or out-of-range option, a wrong number of
/// inputs): the CLI prints it with the usage hint and exits 2; a web front end answers 400.
/// </summary>
public sealed class UsageException(string message) : ShikakuException(message);

/// <summary>Which failures are about the user's files, data or environment (not bugs).</summary>
public static class UserErrors
{
    /// <summary>True for failures a user can fix: one line for them, never a stack trace.</summary>
    public static bool IsUserError(Exception e) =>
        e is ShikakuException or FormatException
            or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException or InvalidDataException;
}

/// <summary>
/// How a front end shows the fetching of pinned packages on first use (npm pack, apt-get download,
/// SHA-256 checks); <see cref="Silent"/> shows nothing.
/// </summary>
public interface IFetchProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports each step through the given callback.</summary>
    T Run<T>(string what, Func<Action<string>, T> work);

    /// <summary>Fetches without showing anything.</summary>
    public static IFetchProgress Silent { get; } = new SilentFetch();

    private sealed class SilentFetch : IFetchProgress
    {
        public T Run<T>(string what, Func<Action<string>, T> work) => work(_ => { });
    }
}
