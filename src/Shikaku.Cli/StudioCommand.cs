using Shikaku.Studio;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku studio`: the local web app, until Ctrl+C.</summary>
internal static class StudioCommand
{
    public static int Run(CliArgs args, Cli cli)
    {
        var defaults = new StudioOptions();
        var options = new StudioOptions
        {
            Port = args.Int("--port", defaults.Port, 0, 65535),
            Host = args.Get("--host") ?? defaults.Host,
            Token = args.Get("--token"),
            RunsRoot = args.Get("--runs") ?? defaults.RunsRoot,
            DatasetsRoot = args.Get("--datasets") ?? defaults.DatasetsRoot,
            MaxBodyBytes = args.Long("--max-body", defaults.MaxBodyBytes, 1024),
            MaxPixels = args.Long("--max-pixels", defaults.MaxPixels, 1),
            Gallery = GalleryCommands.Access(args),
        };
        args.RejectUnknown("studio");
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, systemd, docker stop) stops it as Ctrl+C does.
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });
        try
        {
            StudioApp.RunAsync(options, line => cli.Out.WriteLine(line), stop.Token).GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            throw new IOException($"The studio cannot listen on {options.Host}:{options.Port} ({e.Message}); choose another --port.", e);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return ExitCodes.Ok;
    }
}
