using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>The process exit codes every command uses (documented in the README and `shikaku help`).</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;
    /// <summary>The command failed (bad file, bad data, some items of a batch failed); stderr says why.</summary>
    public const int Failed = 1;
    /// <summary>The command line is wrong (unknown option, missing value, value out of range).</summary>
    public const int Usage = 2;
    /// <summary>`faces verify`: the two faces are of different people (like cmp's "files differ").</summary>
    public const int Different = 3;
    /// <summary>An internal error: a bug in Shikaku (EX_SOFTWARE).</summary>
    public const int Internal = 70;
    /// <summary>Stopped by Ctrl+C (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}

/// <summary>
/// Where a command writes: results to stdout (<see cref="Out"/>, or one JSON document with --json),
/// status, progress, warnings and errors to stderr (<see cref="Err"/>), so that a script can pipe
/// the results and still see what went wrong.
/// </summary>
public sealed class Cli
{
    /// <summary>Consoles over the given writers; redirected output is never wrapped.</summary>
    public Cli(TextWriter stdout, TextWriter stderr, bool stdoutIsTerminal = false, bool stderrIsTerminal = false)
    {
        StdOut = stdout;
        Out = Create(stdout, stdoutIsTerminal);
        Err = Create(stderr, stderrIsTerminal);
    }

    /// <summary>The process's own stdout and stderr.</summary>
    public static Cli FromProcess() =>
        new(Console.Out, Console.Error, !Console.IsOutputRedirected, !Console.IsErrorRedirected);

    private static IAnsiConsole Create(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // A pipe or a file has no width: lines are written whole, never wrapped at 80 columns.
        if (!terminal) console.Profile.Width = 100_000;
        return console;
    }

    /// <summary>Results (what a script would pipe).</summary>
    public IAnsiConsole Out { get; }
    /// <summary>Status, progress, warnings and errors.</summary>
    public IAnsiConsole Err { get; }
    /// <summary>The raw stdout, for JSON documents (never passed through the console's layout).</summary>
    public TextWriter StdOut { get; }

    /// <summary>Writes one JSON document (the whole result of a --json command) to stdout.</summary>
    public void WriteJson(object document)
    {
        StdOut.WriteLine(Contract.Serialize(document));
        StdOut.Flush();
    }

    /// <summary>A status line on stderr (plain text, not markup).</summary>
    public void Status(string line) => Err.WriteLine(line);

    /// <summary>A warning on stderr.</summary>
    public void Warn(string line) => Err.MarkupLineInterpolated($"[yellow]warning:[/] {line}");

    /// <summary>An error on stderr (the command goes on or ends; the caller decides).</summary>
    public void Error(string line) => Err.MarkupLineInterpolated($"[red]error:[/] {line}");

    /// <summary>The exit code of a batch; with failures, their summary on stderr first.</summary>
    public int BatchResult(BatchOutcome outcome)
    {
        if (outcome.Succeeded) return ExitCodes.Ok;
        Error(outcome.Summary);
        return ExitCodes.Failed;
    }
}
