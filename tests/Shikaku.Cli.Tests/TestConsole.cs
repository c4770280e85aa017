namespace Shikaku.Cli.Tests;

/// <summary>Runs the CLI in-process with captured stdout and stderr (plain text, never wrapped).</summary>
internal static class TestConsole
{
    /// <summary>The exit code and everything written (stdout, then stderr).</summary>
    public static (int Code, string Output) Run(params string[] args)
    {
        var (code, stdout, stderr) = RunSplit(args);
        return (code, stdout + stderr);
    }

    /// <summary>The exit code, stdout and stderr apart.</summary>
    public static (int Code, string Stdout, string Stderr) RunSplit(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, new Cli(stdout, stderr));
        return (code, stdout.ToString(), stderr.ToString());
    }
}
