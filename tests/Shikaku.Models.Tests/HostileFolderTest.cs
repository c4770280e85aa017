using Shikaku.Testing;

namespace Shikaku.Tests;

/// <summary>
/// A model folder ("model") for hostile-file tests, and beside it, outside the folder, a "secret.bin" of a size a valid
/// shard could have: what a lying path would like the loader to read.
/// </summary>
public abstract class HostileFolderTest : TempFolderTest
{
    /// <summary>Creates both; <paramref name="secretBytes"/> is the secret file's size.</summary>
    protected HostileFolderTest(string prefix, int secretBytes) : base(prefix)
    {
        Directory.CreateDirectory(ModelFolder);
        File.WriteAllBytes(Secret, new byte[secretBytes]);
    }

    /// <summary>The model's folder.</summary>
    protected string ModelFolder => In("model");

    /// <summary>The file outside it.</summary>
    protected string Secret => In("secret.bin");
}
