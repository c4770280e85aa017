using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.Datasets;
using Shikaku.IO;
using Shikaku.NN;

namespace Shikaku.App;

/// <summary>What a run folder holds besides the model: history (CSV, JSON), the command and seed; its lock.</summary>
public static class RunFolder
{
    private const string LockName = ".shikaku.lock";

    /// <summary><paramref name="folder"/> if it is free (absent or empty), else folder-2, folder-3, ...</summary>
    public static string NextFree(string folder)
    {
        for (int n = 1; ; n++)
        {
            string candidate = n == 1 ? folder : $"{folder}-{n}";
            if (!File.Exists(candidate) && !HoldsFiles(candidate) && !File.Exists(Path.Combine(candidate, LockName))) return candidate;
        }
    }

    /// <summary>Whether the folder holds anything besides a run lock.</summary>
    public static bool HoldsFiles(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any(e => Path.GetFileName(e) != LockName);

    /// <summary>
    /// Creates the folder and holds an exclusive lock on it for the run, so two runs never write into one
    /// folder (the operating system releases it if the process dies).
    /// </summary>
    public static IDisposable Lock(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, LockName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return stream;
        }
        catch (IOException e)
        {
            throw new IOException($"{folder} is in use by another shikaku train; wait for it to finish or choose another --out.", e);
        }
    }

    /// <summary>Whether a run is writing into the folder now (its lock is held; a lock file left by a killed run is not).</summary>
    public static bool IsTraining(string folder)
    {
        string path = Path.Combine(folder, LockName);
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <param name="datasetFiles">For a folder dataset, <see cref="FolderDataset.Fingerprint"/> of its files: evaluate checks that the split is still the one trained on.</param>
    public static void Write(string folder, History history, string command, int seed, Sequential model, string dataset, string[] classes, string? datasetFiles = null)
    {
        SafeFile.WriteAllText(Path.Combine(folder, "history.csv"), history.ToCsv(), overwrite: true);
        SafeFile.WriteAllText(Path.Combine(folder, "history.json"), history.ToJson(), overwrite: true);
        var run = new JsonObject
        {
            ["command"] = command,
            ["seed"] = seed,
            ["dataset"] = dataset,
            ["classes"] = new JsonArray(classes.Select(c => (JsonNode)c).ToArray()),
            ["parameters"] = model.ParameterCount,
            ["simd"] = Kernels.Engine.Simd.ToString(),
            ["threads"] = Kernels.Engine.Threads,
            ["peak_working_set_mb"] = Math.Round(System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0),
            ["stopped"] = history.StoppedReason,
        };
        if (datasetFiles != null) run["dataset_files"] = datasetFiles;
        SafeFile.WriteAllText(Path.Combine(folder, "run.json"), run.ToJsonString(Indented), overwrite: true);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The run's run.json, or null for a folder without one (runs of older versions: MNIST).</summary>
    private static JsonObject? RunJson(string folder)
    {
        string path = Path.Combine(folder, "run.json");
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(SafeFile.ReadAllText(path, 1 << 20, "a run description (run.json)")) as JsonObject
                ?? throw new InvalidDataException($"{path} is not a JSON object; it is damaged. Delete it to treat the run as MNIST, or train again.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON ({e.Message}); it is damaged. Delete it to treat the run as MNIST, or train again.", e);
        }
    }

    public static string Dataset(string folder)
    {
        var run = RunJson(folder);
        if (run == null || !run.ContainsKey("dataset")) return "mnist";
        string path = Path.Combine(folder, "run.json");
        string? name = run["dataset"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
        if (name == null || !(TrainingData.Names.Contains(name) || (FolderDataset.IsFolder(name) && name.Length > FolderDataset.Prefix.Length)))
            throw new InvalidDataException($"{path}: \"dataset\" is {run["dataset"]?.ToJsonString() ?? "null"}, not one of {string.Join(", ", TrainingData.Names)} or folder:PATH; the file is damaged.");
        return name;
    }

    /// <summary>The folder dataset's fingerprint recorded in run.json, or null.</summary>
    public static string? DatasetFiles(string folder) =>
        RunJson(folder)?["dataset_files"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>The seed recorded in run.json (it also split a folder dataset), 0 if none.</summary>
    public static int Seed(string folder) =>
        RunJson(folder)?["seed"] is JsonValue v && v.TryGetValue(out int seed) ? seed : 0;

    /// <summary>The runs/ folder name for a dataset: its own name, or a folder dataset's folder name.</summary>
    public static string DefaultName(string dataset)
    {
        if (!FolderDataset.IsFolder(dataset)) return dataset;
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(FolderDataset.PathOf(dataset)));
        return name.Length == 0 ? "folder" : name;
    }

    /// <summary>The class names the run was trained on (stored in run.json; for older runs, the data set's).</summary>
    public static string[] ClassNames(string folder)
    {
        var run = RunJson(folder);
        if (run?["classes"] is JsonArray classes)
        {
            var names = classes.Select(c => c is JsonValue v && v.TryGetValue(out string? s) ? s : null).ToArray();
            if (names.Length > 0 && names.All(n => n != null)) return names!;
            throw new InvalidDataException($"{Path.Combine(folder, "run.json")}: \"classes\" must be a list of names; the file is damaged.");
        }
        string dataset = Dataset(folder);
        return dataset == "mnist" ? Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
            : FolderDataset.IsFolder(dataset) ? FolderDataset.Scan(FolderDataset.PathOf(dataset)).Select(c => c.Class).ToArray()
            : KnownDatasets.Load(dataset).Test.ClassNames;
    }
}
