using Shikaku.Vision.Imaging;

namespace Shikaku.Cli;

/// <summary>The images a batch command works on, the file it writes, and how a batch ends when some images fail.</summary>
internal static class Inputs
{
    /// <summary>
    /// Checks an output file named by --out before any work, so a long run never ends in "file exists":
    /// not a folder, not an existing file unless <paramref name="overwrite"/>, in a folder that exists.
    /// </summary>
    public static string OutputFile(string output, bool overwrite, string example)
    {
        if (Directory.Exists(output)) throw new UsageException($"--out {output} is a folder; give a file name such as {Path.Combine(output, example)}.");
        if (File.Exists(output) && !overwrite)
            throw new IOException($"{output} already exists; pass --overwrite to replace it, or choose another name.");
        string? folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder != null && !Directory.Exists(folder))
            throw new IOException($"--out {output}: the folder {folder} does not exist; create it first.");
        return output;
    }

    /// <summary>Files given, with folders expanded to the images inside them (sorted); each must exist.</summary>
    public static List<string> Expand(IEnumerable<string> inputs, string what)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) files.AddRange(Directory.GetFiles(input).Where(ImageCodec.IsImagePath).Order(StringComparer.Ordinal));
            else if (File.Exists(input)) files.Add(input);
            else throw new UsageException($"{input} does not exist (give image files or folders of images).");
        }
        if (files.Count == 0) throw new UsageException($"{what} needs at least one image, e.g. photos/*.jpg.");
        return files;
    }

    /// <summary>
    /// A batch goes on past a bad item (reported on stderr as it happens) and ends non-zero,
    /// with a summary, if any item failed.
    /// </summary>
    public static int BatchResult(Cli cli, int failures, int total)
    {
        if (failures == 0) return ExitCodes.Ok;
        cli.Error($"{failures} of {total} image(s) failed (see above); the others were processed.");
        return ExitCodes.Failed;
    }
}
