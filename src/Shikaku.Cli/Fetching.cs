using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>
/// Runs work that may fetch pinned packages on first use under a live status line (spinner and the
/// current step: npm pack / apt-get download, SHA-256 checks), so a first run does not look stuck.
/// </summary>
internal sealed class Fetching(IAnsiConsole console) : IFetchProgress
{
    /// <inheritdoc/>
    public T Run<T>(string what, Func<Action<string>, T> work) => Run(console, what, work);

    public static T Run<T>(IAnsiConsole console, string what, Func<Action<string>, T> work)
    {
        T result = default!;
        var lines = new List<string>();
        console.Status().Spinner(Spinner.Known.Dots).Start($"Preparing {what}...", ctx =>
        {
            result = work(line =>
            {
                lines.Add(line);
                ctx.Status(Markup.Escape(line));
            });
        });
        foreach (var line in lines) console.WriteLine(line); // keep the record once the spinner is gone
        return result;
    }
}
