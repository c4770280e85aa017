namespace Shikaku.Testing;

/// <summary>
/// Base of a test class whose tests each get a fresh folder of their own under the temp directory
/// (xUnit makes one instance per test), removed after the test.
/// </summary>
public abstract class TempFolderTest : IDisposable
{
    /// <summary>Creates the folder, its name starting with <paramref name="prefix"/>.</summary>
    protected TempFolderTest(string prefix) => Root = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The test's folder.</summary>
    protected string Root { get; }

    /// <summary>A path inside the folder.</summary>
    protected string In(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="name"/> inside the folder and returns its path.</summary>
    protected string Write(string name, byte[] bytes)
    {
        string path = In(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Removes the folder and everything in it.</summary>
    public virtual void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }
}
