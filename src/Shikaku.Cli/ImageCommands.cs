using Spectre.Console;
using Shikaku.App;
using Shikaku.Vision.Filters;
using Shikaku.Vision.Imaging;

namespace Shikaku.Cli;

/// <summary>Options shared by every command that reads and writes images.</summary>
internal static class ImageArgs
{
    public static ImageLoadOptions LoadOptions(CliArgs args) => new()
    {
        MaxPixels = args.Long("--max-pixels", 100_000_000, 1),
        KeepMetadata = args.Flag("--keep-metadata"),
    };

    public static ImageSaveOptions SaveOptions(CliArgs args) => new()
    {
        Overwrite = args.Flag("--overwrite"),
        KeepMetadata = args.Flag("--keep-metadata"),
        Quality = args.Int("--quality", 92, 1, 100),
    };

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
        string kernel = args.Require("--kernel", "gaussian:2");
        FilterKernel.Parse(kernel); // a bad spec is named before a missing --out
        var save = ImageArgs.SaveOptions(args);
        var request = new FilterRequest(input, kernel, args.Require("--out", "result.png"), ImageArgs.LoadOptions(args), save);
        args.RejectUnknown("filter");
        var r = ImageUseCases.Filter(request);
        cli.Status($"{r.Filter}: {r.Size} in {r.Milliseconds:0.0} ms -> {r.Output}");
        return ExitCodes.Ok;
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
        var request = new PoolImageRequest(input, size, max, args.Require("--out", "result.png"), ImageArgs.LoadOptions(args), save);
        args.RejectUnknown("pool");
        var r = ImageUseCases.Pool(request);
        cli.Status($"{(r.Max ? "max" : "avg")} pool {r.Size}x{r.Size}: {r.InWidth}x{r.InHeight} -> {r.OutWidth}x{r.OutHeight} -> {r.Output}");
        return ExitCodes.Ok;
    }
}

internal static class InfoCommand
{
    public static int Run(CliArgs args, Cli cli)
    {
        bool json = args.Flag("--json");
        args.RejectUnknown("info");
        var info = EngineInfo.Current(typeof(Program).Assembly.GetName().Version?.ToString());
        if (json)
        {
            cli.WriteJson(info.ToJson());
            return ExitCodes.Ok;
        }
        cli.Out.WriteLine($"SIMD: {info.Simd} (hardware: {info.Hardware}), threads: {info.Threads}, .NET {info.DotNet}");
        cli.Out.WriteLine($"cache: {info.Cache}");
        return ExitCodes.Ok;
    }
}
