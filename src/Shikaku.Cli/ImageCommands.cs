using Spectre.Console;
using Shikaku.Kernels;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;

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
        return Inputs.OutputFile(output, save.Overwrite, "result.png");
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
    public static int Run(CliArgs args, Cli cli)
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
        cli.Status($"{filter.Name}: {size} in {ms:0.0} ms -> {output}");
        return ExitCodes.Ok;
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
    public static int Run(CliArgs args, Cli cli)
    {
        if (args.Get("--matrix") != null) return LectureCommands.PoolMatrix(args, cli);
        string input = ImageArgs.SingleInput(args, "pool");
        int size = args.Int("--size", 2, 1, 1000);
        bool max = LectureCommands.Mode(args);
        var save = ImageArgs.SaveOptions(args);
        string output = ImageArgs.Output(args, save);
        var image = ImageArgs.Load(args, input);
        args.RejectUnknown("pool");
        var result = ImageFilters.Pool(image, size, max).WithExif(image.Exif);
        ImageCodec.Save(result, output, save);
        cli.Status($"{(max ? "max" : "avg")} pool {size}x{size}: {image.Width}x{image.Height} -> {result.Width}x{result.Height} -> {output}");
        return ExitCodes.Ok;
    }
}

internal static class InfoCommand
{
    public static int Run(CliArgs args, Cli cli)
    {
        bool json = args.Flag("--json");
        args.RejectUnknown("info");
        if (json)
        {
            cli.WriteJson(new
            {
                version = typeof(Program).Assembly.GetName().Version?.ToString(),
                simd = Engine.Simd.ToString(),
                hardware = Engine.Hardware.ToString(),
                threads = Engine.Threads,
                dotnet = Environment.Version.ToString(),
                cache = Assets.AssetCache.Root,
            });
            return ExitCodes.Ok;
        }
        cli.Out.WriteLine($"SIMD: {Engine.Simd} (hardware: {Engine.Hardware}), threads: {Engine.Threads}, .NET {Environment.Version}");
        cli.Out.WriteLine($"cache: {Assets.AssetCache.Root}");
        return ExitCodes.Ok;
    }
}
