using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku demo`: runs <see cref="Demo"/> and shows what it did.</summary>
internal static class DemoCommand
{
    public static int Run(CliArgs args, Cli cli)
    {
        var request = new DemoRequest(args.Get("--out") ?? Path.Combine("out", "demo"), args.Get("--photo"), args.Flag("--overwrite"));
        args.RejectUnknown("demo");
        var result = Demo.Run(request, new Fetching(cli.Err), line =>
        {
            if (line.Heading.Length == 0) cli.Out.WriteLine(line.Text);
            else cli.Out.MarkupLineInterpolated($"[bold]{line.Heading}[/]{line.Text}");
        }, cli.Warn);
        cli.Out.MarkupLineInterpolated($"Wrote [bold]{result.Page}[/] ({result.Bytes / 1024} KB): open it in a browser.");
        return ExitCodes.Ok;
    }
}
