using Shikaku.Vision.Imaging;

namespace Shikaku.Cli;

/// <summary>The images a batch command works on, and how a batch ends when some of them fail.</summary>
internal static class Inputs
{
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
