using System.Globalization;
using Shikaku.Tensors;
using Spectre.Console;

namespace Shikaku.Cli;

/// <summary>`shikaku models list|info|run`: the TF.js graph models Shikaku runs, described, and run on NumPy tensors.</summary>
internal static class ModelCommands
{
    public static readonly Option[] Options =
    [
        new("--input", "X.npy|X.npz", null, "run: the input tensor (.npz: one array per input, by name)"),
        new("--output", "Y.npz|Y.npy", null, "run: where the outputs go (.npy only for a one-output model)"),
        Option.Json,
        Option.Overwrite,
    ];

    public static int Run(CliArgs args, Cli cli)
    {
        if (args.Positionals.Count == 0) throw new UsageException("models needs a subcommand: list, info NAME or run NAME --input X.npy --output Y.npz.");
        bool json = args.Flag("--json");
        var models = new GraphModelUseCases(new Fetching(cli.Err));
        switch (args.Positionals[0])
        {
            case "list":
                if (json)
                {
                    cli.WriteJson(GraphModelUseCases.List().Select(m => new { id = m.Id, task = m.Task, input = $"{m.Input.Width}x{m.Input.Height}", licence = m.Licence }));
                    return ExitCodes.Ok;
                }
                var table = new Table().Border(TableBorder.Simple).AddColumns("model", "input", "what it does");
                foreach (var m in GraphModelUseCases.List())
                    table.AddRow(Markup.Escape(m.Id), Markup.Escape($"{m.Input.Width}x{m.Input.Height} {m.Input.Layout.ToString().ToUpperInvariant()} {m.Input.Colors.ToString().ToUpperInvariant()}"), Markup.Escape(m.Task));
                cli.Out.Write(table);
                cli.Out.WriteLine($"From {Assets.KnownAssets.HumanModels.Spec} (MIT), fetched and verified on first use. ./shikaku models info NAME for one.");
                return ExitCodes.Ok;
            case "info":
            {
                var d = models.Info(Name(args, "info"));
                if (json)
                {
                    cli.WriteJson(d.ToJson());
                    return ExitCodes.Ok;
                }
                var i = d.Info;
                cli.Out.MarkupLineInterpolated($"[bold]{i.Id}[/]: {i.Task}");
                cli.Out.WriteLine($"  from       {i.Upstream}; licence {i.Licence}");
                cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  fed        {i.Input.Width}x{i.Input.Height} {i.Input.Layout.ToString().ToUpperInvariant()} {i.Input.Colors.ToString().ToUpperInvariant()}, (pixel - [{string.Join(", ", i.Input.Mean)}]) / [{string.Join(", ", i.Input.Std)}], {i.Input.DType.Name()}: {i.Input.Region}"));
                if (i.HumanFeedsOtherwise != null) cli.Out.WriteLine($"  note       {i.HumanFeedsOtherwise}");
                foreach (var input in d.Inputs) cli.Out.WriteLine($"  input      {input.Name} [{string.Join(", ", input.Shape)}] {input.DType.Name()}");
                foreach (var output in d.Outputs) cli.Out.WriteLine($"  output     {output.Name}");
                cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  size       {d.Nodes} nodes, {d.Parameters:N0} parameters, {d.WeightBytes / 1024.0 / 1024.0:0.0} MB of weights"));
                cli.Out.WriteLine($"  ops        {string.Join(", ", d.Ops.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}");
                if (d.MissingOps.Count > 0) cli.Out.WriteLine($"  no kernel  {string.Join(", ", d.MissingOps)}");
                return ExitCodes.Ok;
            }
            case "run":
            {
                string name = Name(args, "run");
                var result = models.Run(name, args.Require("--input", "--input x.npy"), args.Require("--output", "--output y.npz"), args.Flag("--overwrite"));
                if (json) cli.WriteJson(result.ToJson());
                else
                {
                    foreach (var (output, shape, dtype) in result.Outputs) cli.Out.WriteLine($"{output} [{string.Join(", ", shape)}] {dtype}");
                    cli.Status(string.Create(CultureInfo.InvariantCulture, $"  {result.Milliseconds:0.0} ms -> {result.Output}"));
                }
                return ExitCodes.Ok;
            }
            default:
                throw new UsageException($"unknown models subcommand '{args.Positionals[0]}'; use list, info or run.");
        }
    }

    private static string Name(CliArgs args, string sub) => args.Positionals.Count == 2 ? args.Positionals[1]
        : throw new UsageException($"models {sub} takes one model name, e.g. ./shikaku models {sub} centernet (./shikaku models list shows them).");
}
