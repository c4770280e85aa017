using Shikaku.Kernels;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>Options shared by every command that reads and writes images.</summary>
internal static class ImageArgs
{
    public static Image Load(CliArgs args, string path) =>
        ImageCodec.Load(path, new ImageLoadOptions
        {
            MaxPixels = args.Long("--max-pixels", 100_000_000, 1),
            KeepMetadata = args.Flag("--keep-metadata"),
        });

    public static ImageSaveOptions SaveOptions(CliArgs args) => new()
    {
        Overwrite = args.Flag("--overwrite"),
        KeepMetadata = args.Flag("--keep-metadata"),
        Quality = args.Int("--quality", 92, 1, 100),
    };

    /// <summary>Checks the output before any work so a long run never ends in "file exists".</summary>
    public static string Output(CliArgs args, ImageSaveOptions save)
    {
        string output = args.Require("--out", "result.png");
        ImageCodec.FormatFromPath(output);
        if (File.Exists(output) && !save.Overwrite)
            throw new ImageException($"{output} already exists; pass --overwrite to replace it, or choose another name.");
        return output;
    }

    public static string SingleInput(CliArgs args, string command)
    {
        if (args.Positionals.Count != 1)
            throw new UsageException(args.Positionals.Count == 0 ? $"{command} needs an input image." : $"{command} takes one input image, got {args.Positionals.Count}: {string.Join(" ", args.Positionals)}.");
        return args.Positionals[0];
    }
}

internal static class FilterCommand
{
    public static int Run(CliArgs args, IAnsiConsole console)
    {
        string input = ImageArgs.SingleInput(args, "filter");
        var filter = FilterKernel.Parse(args.Require("--kernel", "gaussian:2"));
        var save = ImageArgs.SaveOptions(args);
        string output = ImageArgs.Output(args, save);
        var (result, size, ms) = Filter(args, input, filter);
        // The input's pixels and the decoder's leftovers are garbage now; collect them (and give their pages
        // back) before the encoder takes its RGBA copy, or all three are held at once.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        ImageCodec.Save(result, output, save);
        console.WriteLine($"{filter.Name}: {size} in {ms:0.0} ms -> {output}");
        return 0;
    }

    /// <summary>
    /// Loads and filters in a frame of its own: once it returns, nothing refers to the input's pixels,
    /// so they can be collected while the result is encoded (unoptimised code keeps a method's locals
    /// alive to its end).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Image Result, string Size, double Ms) Filter(CliArgs args, string input, FilterKernel filter)
    {
        var image = ImageArgs.Load(args, input);
        args.RejectUnknown("filter");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var result = ImageFilters.Apply(image, filter).WithExif(image.Exif);
        return (result, $"{image.Width}x{image.Height}x{image.Channels}", sw.Elapsed.TotalMilliseconds);
    }
}

internal static class PoolCommand
{
    public static int Run(CliArgs args, IAnsiConsole console)
    {
        if (args.Get("--matrix") != null) return LectureCommands.PoolMatrix(args, console);
        string input = ImageArgs.SingleInput(args, "pool");
        int size = args.Int("--size", 2, 1);
        bool max = LectureCommands.Mode(args);
        var save = ImageArgs.SaveOptions(args);
        string output = ImageArgs.Output(args, save);
        var image = ImageArgs.Load(args, input);
        args.RejectUnknown("pool");
        var result = ImageFilters.Pool(image, size, max).WithExif(image.Exif);
        ImageCodec.Save(result, output, save);
        console.WriteLine($"{(max ? "max" : "avg")} pool {size}x{size}: {image.Width}x{image.Height} -> {result.Width}x{result.Height} -> {output}");
        return 0;
    }
}

internal static class InfoCommand
{
    public static int Run(CliArgs args, IAnsiConsole console)
    {
        args.RejectUnknown("info");
        console.WriteLine($"SIMD: {Engine.Simd} (hardware: {Engine.Hardware}), threads: {Engine.Threads}, .NET {Environment.Version}");
        console.WriteLine($"cache: {Assets.AssetCache.Root}");
        return 0;
    }
}
