namespace Shikaku.Tests;

/// <summary>Writes a TF.js weights manifest and its shards, as a test's model folder.</summary>
internal static class ManifestFiles
{
    /// <summary>Writes the shards and <c>m-weights_manifest.json</c> into <paramref name="folder"/>; returns the manifest's path.</summary>
    public static string Write(string folder, string json, params (string Name, byte[] Bytes)[] shards)
    {
        foreach (var (name, bytes) in shards) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        string path = Path.Combine(folder, "m-weights_manifest.json");
        File.WriteAllText(path, json);
        return path;
    }
}
