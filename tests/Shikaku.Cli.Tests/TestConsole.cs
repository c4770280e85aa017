using Spectre.Console;

namespace Shikaku.Cli.Tests;

/// <summary>Runs the CLI in-process with a plain, wide, captured console.</summary>
internal static class TestConsole
{
    public static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return (Program.Run(args, console), writer.ToString());
    }
}
