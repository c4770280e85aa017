using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>
/// The one output policy of every use case: outputs are checked before any work (so a long run never
/// ends in "file exists"), nothing is replaced unless asked, folders of images are expanded in order.
/// </summary>
public static class OutputPolicy
{
    /// <summary>
    /// Checks an output file named by --out before any work: not a folder, not an existing file unless
    /// <paramref name="overwrite"/>, in a folder that exists.
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

    /// <summary>An output image: its extension names a format we write, and it passes <see cref="OutputFile"/>.</summary>
    public static string OutputImage(string output, bool overwrite)
    {
        ImageCodec.FormatFromPath(output);
        return OutputFile(output, overwrite, "result.png");
    }

    /// <summary>
    /// The output folder of a batch (created), after checking that no file it would write (one per input
    /// stem and extension) exists unless <paramref name="overwrite"/>.
    /// </summary>
    public static string OutputFolder(string dir, IEnumerable<string> files, bool overwrite, params string[] extensions)
    {
        if (File.Exists(dir)) throw new UsageException($"--out {dir} is a file; give a folder.");
        var stems = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            string stem = Path.GetFileNameWithoutExtension(f);
            if (!stems.Add(stem)) throw new UsageException($"Two inputs are named {stem}; their outputs in {dir} would collide. Rename one.");
            foreach (var ext in extensions)
            {
                string target = Path.Combine(dir, stem + ext);
                if (File.Exists(target) && !overwrite)
                    throw new IOException($"{target} already exists; pass --overwrite to replace it, or choose another --out folder.");
            }
        }
        Directory.CreateDirectory(dir);
        return dir;
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
}

/// <summary>How a batch ended: a bad item is reported as it happens and the batch goes on.</summary>
/// <param name="Failures">Items that could not be processed.</param>
/// <param name="Total">Items given.</param>
public readonly record struct BatchOutcome(int Failures, int Total)
{
    /// <summary>True when every item was processed.</summary>
    public bool Succeeded => Failures == 0;

    /// <summary>The summary line of a batch with failures.</summary>
    public string Summary => $"{Failures} of {Total} image(s) failed (see above); the others were processed.";
}
