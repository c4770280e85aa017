using System.Text.Json.Serialization;
using Shikaku.Kernels;

namespace Shikaku.App;

/// <summary>What `info` reports: the engine's SIMD level and threads, the runtime, the asset cache; the record is its own JSON contract (info --json).</summary>
public sealed record EngineInfo(string? Version, string Simd, string Hardware, int Threads, [property: JsonPropertyName("dotnet")] string DotNet, string Cache)
{
    /// <summary>The engine as configured now; <paramref name="version"/> is the front end's own.</summary>
    public static EngineInfo Current(string? version) =>
        new(version, Engine.Simd.ToString(), Engine.Hardware.ToString(), Engine.Threads, Environment.Version.ToString(), Assets.AssetCache.Root);

    /// <summary>The JSON contract of info --json.</summary>
    public object ToJson() => this;
}
