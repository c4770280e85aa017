using Shikaku.Explain;
using Shikaku.Models.FaceApi;
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

/// <summary>What an imported network computed for one image, node by node (previews of its maps).</summary>
/// <param name="Model">The id it was opened by (graph:NAME, faceapi:NAME).</param>
/// <param name="Task">What the network does.</param>
/// <param name="InputShape">The shape of the tensor it was given.</param>
/// <param name="Input">Which part of the image that tensor was made from, in words.</param>
/// <param name="Nodes">The traced nodes (at most GraphTrace's limit, then the output).</param>
/// <param name="TotalNodes">How many nodes the plan ran.</param>
public sealed record GraphExplainResult(string Model, string Task, int[] InputShape, string Input, IReadOnlyList<GraphNodeMaps> Nodes, int TotalNodes)
{
    /// <summary>The JSON contract of POST /api/models/{graph:NAME or faceapi:NAME}/explain.</summary>
    public object ToJson() => new
    {
        model = Model,
        task = Task,
        input = new { shape = InputShape, region = Input },
        totalNodes = TotalNodes,
        truncated = TotalNodes > Nodes.Count,
        nodes = Nodes.Select(n => new { name = n.Name, op = n.Op, shape = n.Shape, preview = n.Preview, step = n.Step, values = n.Values }),
    };
}

/// <summary>
/// The explainer on the imported networks: human-models' TF.js graphs (graph:NAME; the image prepared as the model's
/// input recipe says) and face-api.js's seven nets (faceapi:NAME; the image prepared as each net's forward pass does,
/// and for the nets that take a face, the crop face-api.js gives them of the most confident face). Every node's output
/// comes through the trace hook. One loaded network per model, shared by every request (plans keep nothing about a call).
/// </summary>
public sealed class GraphExplainer(IFetchProgress fetch, FaceUseCases? faces = null) : IDisposable
{
    /// <summary>How a model id says "a human-models graph": graph:NAME.</summary>
    public const string Prefix = "graph:";

    /// <summary>How a model id says "a face-api.js net": faceapi:NAME.</summary>
    public const string FaceApiPrefix = "faceapi:";

    private readonly Dictionary<string, (IDisposable Owner, Graph.GraphPlan Plan)> _loaded = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="id"/> names an imported network rather than a run folder.</summary>
    public static bool Names(string id) => id.StartsWith(Prefix, StringComparison.Ordinal) || id.StartsWith(FaceApiPrefix, StringComparison.Ordinal);

    /// <summary>The graph models the explainer opens, as ids (graph:NAME) with their task.</summary>
    public static IReadOnlyList<(string Id, string Task)> List() => Models.Human.GraphModels.All.Select(m => (Prefix + m.Id, m.Task)).ToList();

    /// <summary>face-api.js's nets, as ids (faceapi:NAME) with their task.</summary>
    public static IReadOnlyList<(string Id, string Task)> FaceApiList() => Enum.GetValues<FaceApiModel>().Select(m => (FaceApiPrefix + FaceApiModels.Id(m), FaceApiTask(m))).ToList();

    private static string FaceApiTask(FaceApiModel model) => model switch
    {
        FaceApiModel.SsdMobilenetV1 => "face detection, SSD MobileNet V1 (512x512 photo)",
        FaceApiModel.TinyFaceDetector => "face detection, Tiny YOLO v2 style (416x416 photo)",
        FaceApiModel.FaceLandmark68 => "68 face landmarks (112x112 face)",
        FaceApiModel.FaceLandmark68Tiny => "68 face landmarks, tiny (112x112 face)",
        FaceApiModel.FaceRecognition => "128-d face descriptor, ResNet-34 style (150x150 face)",
        FaceApiModel.FaceExpression => "7 facial expressions (112x112 face)",
        _ => "age and gender (112x112 face)",
    };

    public GraphExplainResult Explain(string id, Image image)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(image);
        return id.StartsWith(FaceApiPrefix, StringComparison.Ordinal) ? ExplainFaceApi(id, image) : ExplainGraph(id, image);
    }

    private GraphExplainResult ExplainGraph(string id, Image image)
    {
        string name = id.StartsWith(Prefix, StringComparison.Ordinal) ? id[Prefix.Length..] : id;
        var info = Models.Human.GraphModels.All.FirstOrDefault(m => m.Id == name)
            ?? throw new UnknownIdException($"There is no graph model '{id}'; GET /api/models lists the ids.");
        var recipe = info.Input;
        if (recipe.Width != recipe.Height)
            throw new UsageException($"{info.Id} takes {recipe.Width}x{recipe.Height}; the explainer fits images into square inputs only.");
        var (_, plan) = Load(Prefix + info.Id, () =>
        {
            string folder = fetch.Run("the graph models", log => Models.Human.GraphModels.Folder(log));
            var model = Models.Human.GraphModels.Load(info.Id, folder);
            return (model, model.Compile(optimize: true));
        });
        using var x = Vision.Imaging.ModelInput.From(image, recipe, new Vision.Detection.Letterbox(image.Width, image.Height, recipe.Width));
        var (nodes, total) = GraphTrace.Run(plan, [x]);
        return new GraphExplainResult(Prefix + info.Id, info.Task, x.Shape.ToArray(), $"the whole image, fitted into {recipe.Width}x{recipe.Height}", nodes, total);
    }

    private GraphExplainResult ExplainFaceApi(string id, Image image)
    {
        string name = id[FaceApiPrefix.Length..];
        var model = Enum.GetValues<FaceApiModel>().Cast<FaceApiModel?>().FirstOrDefault(m => FaceApiModels.Id(m!.Value) == name)
            ?? throw new UnknownIdException($"There is no face-api.js net '{id}'; GET /api/models lists the ids.");
        var (owner, plan) = Load(id, () =>
        {
            string folder = fetch.Run("the face models", log => FaceApiModels.Folder(log));
            var net = FaceApiModels.Open(model, FaceApiModels.LoadWeights(model, folder, verify: false));
            return (net, net.Plan);
        });
        string region = "the whole image, padded to a square";
        var input = image.ToRgb();
        if (FaceApiModels.TakesFaceCrop(model))
        {
            if ((faces ?? throw new InvalidOperationException("This explainer was made without face detection.")).MainFaceRegion(image) is { } box)
            {
                input = input.Crop((int)box.X, (int)box.Y, (int)box.Width, (int)box.Height);
                region = FormattableString.Invariant($"the most confident face's crop, {(int)box.Width}x{(int)box.Height} at ({(int)box.X}, {(int)box.Y}), padded to a square");
            }
            else region = "the whole image, padded to a square (no face was found in it)";
        }
        using var pixels = input.ToTensor();
        using var x = ((Models.IGraphNetwork)owner).PrepareInput(pixels);
        var (nodes, total) = GraphTrace.Run(plan, [x]);
        return new GraphExplainResult(id, FaceApiTask(model), x.Shape.ToArray(), region, nodes, total);
    }

    private (IDisposable Owner, Graph.GraphPlan Plan) Load(string key, Func<(IDisposable Owner, Graph.GraphPlan Plan)> open)
    {
        lock (_loaded)
        {
            if (!_loaded.TryGetValue(key, out var hit)) _loaded[key] = hit = open();
            return hit;
        }
    }

    public void Dispose()
    {
        lock (_loaded)
        {
            foreach (var (owner, _) in _loaded.Values) owner.Dispose();
            _loaded.Clear();
        }
    }
}
