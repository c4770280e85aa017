using System.Diagnostics;
using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.Models.Human;
using Shikaku.Tensors;

namespace Shikaku.App;

/// <summary>What `models info` says about a graph model: its task, how it is fed, its inputs, outputs, ops and size.</summary>
public sealed record GraphModelDescription(GraphModelInfo Info, IReadOnlyList<TfjsGraphInput> Inputs, IReadOnlyList<TfjsGraphOutput> Outputs,
    IReadOnlyDictionary<string, int> Ops, int Nodes, long Parameters, long WeightBytes, IReadOnlyList<string> MissingOps)
{
    /// <summary>The JSON contract of models info --json.</summary>
    public object ToJson() => new
    {
        id = Info.Id,
        task = Info.Task,
        upstream = Info.Upstream,
        licence = Info.Licence,
        input = new
        {
            width = Info.Input.Width,
            height = Info.Input.Height,
            layout = Info.Input.Layout.ToString().ToUpperInvariant(),
            colors = Info.Input.Colors.ToString().ToUpperInvariant(),
            mean = Info.Input.Mean,
            std = Info.Input.Std,
            dtype = Info.Input.DType.Name(),
            region = Info.Input.Region,
        },
        humanFeedsOtherwise = Info.HumanFeedsOtherwise,
        inputs = Inputs.Select(i => new { name = i.Name, shape = i.Shape, dtype = i.DType.Name() }),
        outputs = Outputs.Select(o => new { name = o.Name, value = o.Value }),
        ops = Ops,
        nodes = Nodes,
        parameters = Parameters,
        weightBytes = WeightBytes,
        missingOps = MissingOps,
    };
}

/// <summary>`models run`'s outcome: the outputs written, their shapes, and the time of the forward pass.</summary>
public sealed record GraphRunResult(string Model, string Output, IReadOnlyList<(string Name, int[] Shape, string DType)> Outputs, double Milliseconds)
{
    /// <summary>The JSON contract of models run --json.</summary>
    public object ToJson() => new
    {
        model = Model,
        output = Output,
        milliseconds = Math.Round(Milliseconds, 3),
        outputs = Outputs.Select(o => new { name = o.Name, shape = o.Shape, dtype = o.DType }),
    };
}

/// <summary>
/// models list, info and run: the TF.js graph models Shikaku runs (human-models 3.0.4), described and run on any
/// input tensor given as NumPy .npy/.npz, the outputs written the same way.
/// </summary>
public sealed class GraphModelUseCases(IFetchProgress fetch)
{
    /// <summary>Every model, with what it does and how it is fed.</summary>
    public static IReadOnlyList<GraphModelInfo> List() => GraphModels.All;

    private static GraphModelInfo Find(string id)
    {
        try { return GraphModels.Find(id); }
        catch (Assets.AssetException e) { throw new UsageException(e.Message); }
    }

    private string Folder() => fetch.Run("the graph models", log => GraphModels.Folder(log));

    /// <summary>The model's inputs, outputs, ops, parameters and size, and the ops Shikaku has no kernel for (none, for every listed model).</summary>
    public GraphModelDescription Info(string id)
    {
        var info = Find(id);
        using var model = GraphModels.Load(info.Id, Folder());
        return new GraphModelDescription(info, model.Inputs, model.Outputs, model.OpCounts, model.NodeCount, model.ParameterCount, model.WeightBytes,
            model.UnsupportedOps().Keys.ToList());
    }

    /// <summary>
    /// Runs model <paramref name="id"/> on the tensor in <paramref name="input"/> (.npy for a one-input model, or .npz
    /// naming each input) and writes every output to <paramref name="output"/>: .npz (arrays named as the graph names
    /// its outputs), or .npy when the model has one output.
    /// </summary>
    public GraphRunResult Run(string id, string input, string output, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var info = Find(id);
        bool npz = output.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);
        if (!npz && !output.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--output {output}: give a .npz file (all outputs) or a .npy file (a model with one output).");
        OutputPolicy.OutputFile(output, overwrite, "y.npz");
        using var model = GraphModels.Load(info.Id, Folder());
        if (!npz && model.Outputs.Count != 1)
            throw new UsageException($"{info.Id} has {model.Outputs.Count} outputs ({string.Join(", ", model.Outputs.Select(o => o.Name))}); write them to a .npz file.");
        var feeds = ReadInputs(input, model);
        try
        {
            var plan = model.Compile(optimize: true);
            var clock = Stopwatch.StartNew();
            var results = plan.Run(feeds);
            double ms = clock.Elapsed.TotalMilliseconds;
            try
            {
                var named = model.Outputs.Select((o, i) => new KeyValuePair<string, Tensor>(o.Name, results[i])).ToList();
                if (npz) Npy.WriteNpz(output, named, overwrite);
                else Npy.Write(output, results[0], overwrite);
                return new GraphRunResult(info.Id, output, named.Select(n => (n.Key, n.Value.Shape.ToArray(), n.Value.DType.Name())).ToList(), ms);
            }
            finally
            {
                foreach (var r in results) r.Dispose();
            }
        }
        finally
        {
            foreach (var f in feeds) f.Dispose();
        }
    }

    private static Tensor[] ReadInputs(string path, TfjsGraphModel model)
    {
        var inputs = model.Inputs;
        Tensor[] feeds;
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
        {
            using var arrays = Npy.ReadNpz(path);
            feeds = new Tensor[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
            {
                string key = arrays.ContainsKey(inputs[i].Name) ? inputs[i].Name : inputs[i].Name.Split(':')[0];
                if (!arrays.Remove(key, out var t))
                {
                    foreach (var f in feeds) f?.Dispose();
                    throw new UsageException($"{path} has no array '{inputs[i].Name}' (it has {string.Join(", ", arrays.Keys)}); name each input of the model.");
                }
                feeds[i] = t;
            }
        }
        else
        {
            if (inputs.Count != 1) throw new UsageException($"The model takes {inputs.Count} inputs; give a .npz naming each: {string.Join(", ", inputs.Select(i => i.Name))}.");
            feeds = [Npy.Read(path)];
        }
        try
        {
            for (int i = 0; i < inputs.Count; i++) Check(feeds[i], inputs[i], path);
            return feeds;
        }
        catch
        {
            foreach (var f in feeds) f.Dispose();
            throw;
        }
    }

    private static void Check(Tensor t, TfjsGraphInput input, string path)
    {
        var shape = input.Shape;
        bool fits = t.Rank == shape.Length && shape.Select((d, i) => d < 0 || d == t.Shape[i]).All(x => x);
        if (!fits)
            throw new UsageException($"{path}: input '{input.Name}' must be [{string.Join(", ", shape.Select(d => d < 0 ? "any" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}], got {t.Shape}.");
        if (t.DType != input.DType)
            throw new UsageException($"{path}: input '{input.Name}' must be {input.DType.Name()}, got {t.DType.Name()}; convert it with x.astype(np.{input.DType.Name()}).");
    }
}
