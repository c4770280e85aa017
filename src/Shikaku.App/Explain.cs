using Shikaku.Explain;
using Shikaku.NN;
using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>A trained run folder a front end may open, named by its id (its path below the catalogue's root, with '/').</summary>
public sealed record RunEntry(string Id, string Dataset, string[] Classes, DateTime Modified);

/// <summary>
/// The run folders below one root (the studio's runs/): a front end names a model by the id this lists, never by a
/// path of the client's, so a request cannot reach a file outside the root.
/// </summary>
public sealed class RunCatalog(string root)
{
    private readonly Dictionary<string, (string Stamp, Sequential Model)> _loaded = new(StringComparer.Ordinal);

    /// <summary>The folder the runs are under.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Every folder up to two levels below the root that holds a trained model (model.json), newest first.</summary>
    public IReadOnlyList<RunEntry> List()
    {
        if (!Directory.Exists(Root)) return [];
        var folders = Directory.EnumerateDirectories(Root).SelectMany(d => new[] { d }.Concat(Directory.EnumerateDirectories(d)));
        // A folder name with ':' would read as another kind of id (graph:NAME); such folders are not listed.
        // A run still training (its lock is held) has no run.json yet, so its dataset and classes are unknown: it is
        // listed once it has finished.
        return folders.Where(d => File.Exists(Path.Combine(d, "model.json")) && !RunFolder.IsTraining(d)
                && !Path.GetRelativePath(Root, d).Contains(':'))
            .Select(Entry).OfType<RunEntry>().OrderByDescending(e => e.Modified).ToList();
    }

    /// <summary>A run folder's entry, or null when its run.json is damaged: one broken run must not hide the others.</summary>
    private RunEntry? Entry(string folder)
    {
        try
        {
            return new RunEntry(Path.GetRelativePath(Root, folder).Replace(Path.DirectorySeparatorChar, '/'), RunFolder.Dataset(folder), RunFolder.ClassNames(folder),
                File.GetLastWriteTimeUtc(Path.Combine(folder, "model.json")));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The folder of a listed id; anything else (an unknown id, "../x", an absolute path) is an error that names the id.</summary>
    public string Folder(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        // The one folder the id names, checked as List() would list it (not the whole listing again on every request):
        // one or two plain names below the root, no ".", "..", rooted, ':' or separator-holding part.
        var parts = id.Split('/');
        bool plain = parts.Length is 1 or 2 && parts.All(p => p.Length > 0 && p is not ("." or "..") && p.IndexOfAny(['\\', ':', '\0']) < 0);
        string folder = plain ? Path.GetFullPath(Path.Combine([Root, .. parts])) : "";
        if (!plain || !folder.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !Directory.Exists(folder)
            || !File.Exists(Path.Combine(folder, "model.json")) || RunFolder.IsTraining(folder) || Entry(folder) == null)
            throw new UnknownIdException($"There is no trained model '{id}'; GET /api/models lists the ids.");
        return folder;
    }

    /// <summary>The model of a listed id, loaded once and again only when its files change (a run trained again).</summary>
    public Sequential Model(string id)
    {
        string folder = Folder(id);
        // Both files: a checkpoint replaces model.json and model.safetensors one after the other.
        string stamp = string.Join("|", new[] { "model.json", "model.safetensors" }.Select(f => new FileInfo(Path.Combine(folder, f)))
            .Select(f => f.Exists ? $"{f.LastWriteTimeUtc.Ticks}:{f.Length}" : "-"));
        lock (_loaded)
        {
            if (_loaded.TryGetValue(id, out var hit) && hit.Stamp == stamp) return hit.Model;
            var model = Sequential.Load(folder);
            _loaded[id] = (stamp, model);
            return model;
        }
    }
}

/// <summary>An id that names nothing the front end offers (a web front end answers 404).</summary>
public sealed class UnknownIdException(string message) : ShikakuException(message);

/// <summary>What a model computed for one image, with its class names (the studio's explainer).</summary>
public sealed record ExplainResult(string Model, string[] Classes, ModelExplanation Explanation)
{
    /// <summary>Index of the most probable class.</summary>
    public int Predicted
    {
        get
        {
            var p = Explanation.Output;
            int best = 0;
            for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
            return best;
        }
    }

    /// <summary>The JSON contract of POST /api/models/{id}/explain.</summary>
    public object ToJson() => new
    {
        model = Model,
        classes = Classes,
        predicted = new { index = Predicted, @class = Classes[Predicted], probability = Explanation.Output[Predicted] },
        probabilities = Explanation.Output,
        input = new { shape = Explanation.InputShape, values = Explanation.Input },
        layers = Explanation.Layers.Select(l => new { index = l.Index, name = l.Name, type = l.Type, shape = l.Shape, formula = l.Formula, values = l.Values }),
    };
}

/// <summary>The explainer's use cases: a trained model on one image, every layer; one convolution map, channel by channel.</summary>
public static class ExplainUseCases
{
    /// <summary>
    /// The image is prepared as predict prepares it (for a 28x28x1 model: the way MNIST was made; for a folder
    /// dataset's model: as its training images were), so the probabilities are predict's.
    /// </summary>
    public static ExplainResult Explain(RunCatalog runs, string id, Image image)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var model = runs.Model(id);
        string[] classes = RunFolder.ClassNames(runs.Folder(id));
        using var x = Prepare(model, image);
        ModelExplanation explanation;
        try
        {
            explanation = ModelExplainer.Explain(model, x);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter", 2)[0]);
        }
        if (explanation.Output.Length != classes.Length)
            throw new InvalidDataException($"{id}: the model gives {explanation.Output.Length} outputs but run.json names {classes.Length} classes.");
        return new ExplainResult(id, classes, explanation);
    }

    /// <summary>How output channel <paramref name="channel"/> of convolution layer <paramref name="layer"/> was computed.</summary>
    public static ConvChannelExplanation ExplainConv(RunCatalog runs, string id, Image image, int layer, int channel)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var model = runs.Model(id);
        using var x = Prepare(model, image);
        try
        {
            return ModelExplainer.ExplainConv(model, x, layer, channel);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static Tensors.Tensor Prepare(Sequential model, Image image) => TrainingData.Prepare(image, model.InputShape);
}

/// <summary>What an imported graph model computed for one image, node by node (previews of its maps).</summary>
public sealed record GraphExplainResult(string Model, string Task, int[] InputShape, IReadOnlyList<GraphNodeMaps> Nodes, int TotalNodes)
{
    /// <summary>The JSON contract of POST /api/models/graph:{id}/explain.</summary>
    public object ToJson() => new
    {
        model = Model,
        task = Task,
        input = new { shape = InputShape },
        totalNodes = TotalNodes,
        truncated = TotalNodes > Nodes.Count,
        nodes = Nodes.Select(n => new { name = n.Name, op = n.Op, shape = n.Shape, preview = n.Preview, step = n.Step, values = n.Values }),
    };
}

/// <summary>
/// The explainer on the imported networks (human-models' TF.js graphs): the image prepared as the model's input
/// recipe says (fitted into its square input, coloured, normalized), every node's output through the trace hook.
/// One loaded graph per model, shared by every request (the plans keep nothing about a call).
/// </summary>
public sealed class GraphExplainer(IFetchProgress fetch) : IDisposable
{
    /// <summary>How a model id says "a graph model": graph:NAME.</summary>
    public const string Prefix = "graph:";

    private readonly Dictionary<string, (Formats.TfjsGraphModel Model, Graph.GraphPlan Plan)> _loaded = new(StringComparer.Ordinal);

    /// <summary>The graph models the explainer opens, as ids (graph:NAME) with their task.</summary>
    public static IReadOnlyList<(string Id, string Task)> List() => Models.Human.GraphModels.All.Select(m => (Prefix + m.Id, m.Task)).ToList();

    public GraphExplainResult Explain(string id, Image image)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(image);
        string name = id.StartsWith(Prefix, StringComparison.Ordinal) ? id[Prefix.Length..] : id;
        var info = Models.Human.GraphModels.All.FirstOrDefault(m => m.Id == name)
            ?? throw new UnknownIdException($"There is no graph model '{id}'; GET /api/models lists the ids.");
        var recipe = info.Input;
        if (recipe.Width != recipe.Height)
            throw new UsageException($"{info.Id} takes {recipe.Width}x{recipe.Height}; the explainer fits images into square inputs only.");
        Graph.GraphPlan plan;
        lock (_loaded)
        {
            if (!_loaded.TryGetValue(info.Id, out var hit))
            {
                string folder = fetch.Run("the graph models", log => Models.Human.GraphModels.Folder(log));
                var model = Models.Human.GraphModels.Load(info.Id, folder);
                _loaded[info.Id] = hit = (model, model.Compile(optimize: true));
            }
            plan = hit.Plan;
        }
        using var x = Vision.Imaging.ModelInput.From(image, recipe, new Vision.Detection.Letterbox(image.Width, image.Height, recipe.Width));
        var (nodes, total) = GraphTrace.Run(plan, [x]);
        return new GraphExplainResult(Prefix + info.Id, info.Task, x.Shape.ToArray(), nodes, total);
    }

    public void Dispose()
    {
        lock (_loaded)
        {
            foreach (var (model, _) in _loaded.Values) model.Dispose();
            _loaded.Clear();
        }
    }
}
