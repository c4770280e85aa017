using System.Buffers.Binary;
using System.Text.Json;
using Shikaku.IO;
using Shikaku.Tensors;

namespace Shikaku.Formats;

/// <summary>
/// Reads TF.js weight manifests (<c>*-weights_manifest.json</c>) and their binary shards, as tfjs-core's
/// <c>decodeWeights</c> defines them: float32 weights (Float32 tensors), int32 (Int32 tensors: the shapes, axes
/// and slice bounds of graph models) and bool (Bool tensors, one byte each); weights quantized to uint8/uint16
/// (value = q * scale + min, float32 or int32 rounded as JavaScript's Math.round) or float16 (float32 only)
/// are dequantized on load. Every size is checked, so a truncated or swapped file is an error
/// that names the file, never a silent wrong answer. A manifest is untrusted input: its shard paths must
/// stay inside its own folder (after following symbolic links), and nothing is read beyond the bytes it describes.
/// </summary>
public static class TfjsWeights
{
    /// <summary>Largest manifest read (face-api.js's largest is 60 KB).</summary>
    public const long MaxManifestBytes = 16 << 20;

    /// <summary>
    /// Loads every tensor a manifest describes; shard paths are relative to the manifest's folder. A damaged or
    /// lying manifest or shard is a <see cref="ModelFormatException"/> naming the file; a manifest or shard
    /// that is not a regular file (FIFO, device, folder) or too large is an <see cref="IOException"/>.
    /// </summary>
    /// <example><code>using var weights = TfjsWeights.Load("model/tiny_face_detector_model-weights_manifest.json");</code></example>
    public static WeightMap Load(string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        if (!File.Exists(manifestPath) && !Directory.Exists(manifestPath)) throw new ModelFormatException($"Weight manifest {manifestPath} does not exist.");
        byte[] manifest = SafeFile.ReadAllBytes(manifestPath, MaxManifestBytes, "a TF.js weights manifest");
        try
        {
            using var doc = JsonDocument.Parse(manifest, new JsonDocumentOptions { AllowDuplicateProperties = false });
            return Load(doc.RootElement, Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath, $"Weight manifest {manifestPath}", allowInfinities: false);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"Weight manifest {manifestPath} is not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>
    /// The one manifest + shard decoder: every weight of <paramref name="manifest"/> (the parsed array of weight groups,
    /// a weights manifest file's root or a graph model's <c>weightsManifest</c>), its shards read from <paramref name="folder"/>.
    /// <paramref name="source"/> is the file named in errors, <paramref name="what"/> how a structural error starts
    /// ("Weight manifest m.json"). NaN is always refused; infinities only unless <paramref name="allowInfinities"/>
    /// (graph models hold -inf on purpose, e.g. as the padding value before a max pooling).
    /// </summary>
    internal static WeightMap Load(JsonElement manifest, string folder, string source, string what, bool allowInfinities)
    {
        List<Group> groups;
        try
        {
            groups = ParseManifest(manifest);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new ModelFormatException($"{what} is not a TF.js weights manifest ({e.Message}).", e);
        }
        var map = new WeightMap(Path.GetFileName(source));
        try
        {
            foreach (var group in groups)
            {
                long needed = group.Specs.Sum(s => s.ByteLength);
                byte[] data = ReadShards(source, folder, group.Paths, needed);
                map.StoredBytes += needed;
                int offset = 0;
                foreach (var spec in group.Specs)
                {
                    var tensor = Decode(spec, data.AsSpan(offset, (int)spec.ByteLength));
                    if (tensor.DType == DType.Float32 && !(allowInfinities
                            ? !System.Numerics.Tensors.TensorPrimitives.IsNaNAny<float>(tensor.Span)
                            : System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(tensor.Span)))
                    {
                        tensor.Dispose();
                        throw new ModelFormatException($"{source}: weight '{spec.Name}' holds NaN{(allowInfinities ? "" : " or infinite")} values (a damaged shard or a lying quantization scale); the model cannot be used.");
                    }
                    map.Add(spec.Name, tensor);
                    offset += (int)spec.ByteLength;
                }
            }
        }
        catch
        {
            map.Dispose();
            throw;
        }
        return map;
    }

    private sealed record Spec(string Name, int[] Shape, long Count, string DType, string? QuantDType, double Scale, double Min)
    {
        public long ByteLength => Count * (QuantDType switch { "uint8" => 1, "uint16" or "float16" => 2, _ => DType == "bool" ? 1 : 4 });
    }

    private sealed record Group(string[] Paths, List<Spec> Specs);

    private static List<Group> ParseManifest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array) throw new FormatException("the top level must be an array of weight groups");
        var groups = new List<Group>();
        int g = 0;
        foreach (var group in root.EnumerateArray())
        {
            string where = $"group {g++}";
            if (group.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object with paths and weights");
            var paths = Array(group, "paths", where).EnumerateArray()
                .Select(p => p.ValueKind == JsonValueKind.String ? p.GetString()! : throw new FormatException($"{where}: a shard path is {p.ValueKind}, not a string")).ToArray();
            var specs = new List<Spec>();
            long groupBytes = 0;
            foreach (var w in Array(group, "weights", where).EnumerateArray())
            {
                if (w.ValueKind != JsonValueKind.Object) throw new FormatException($"{where}: a weight is {w.ValueKind}, not an object");
                string name = String(w, "name", where);
                string at = $"weight '{name}'";
                var dims = Array(w, "shape", at);
                if (dims.GetArrayLength() > 8) throw new FormatException($"{at} has {dims.GetArrayLength()} dimensions; at most 8 are read");
                var shape = new int[dims.GetArrayLength()];
                long count = 1;
                int i = 0;
                foreach (var d in dims.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                        throw new FormatException($"{at} has dimension {d.GetRawText()}; dimensions are whole numbers >= 0");
                    count *= shape[i++]; // checked each step: below 2^31 times a dimension below 2^31 fits a long
                    if (count > System.Array.MaxLength) throw new FormatException($"{at} has shape ({string.Join(", ", shape[..i])}...), more than {System.Array.MaxLength} values");
                }
                string dtype = String(w, "dtype", at);
                if (dtype is not ("float32" or "int32" or "bool"))
                    throw new FormatException($"{at} has dtype '{dtype}'; Shikaku reads float32, int32 and bool");
                string? qtype = null;
                double scale = 1, min = 0;
                if (w.TryGetProperty("quantization", out var q))
                {
                    if (q.ValueKind != JsonValueKind.Object) throw new FormatException($"{at}: quantization is {q.ValueKind}, not an object");
                    qtype = String(q, "dtype", $"{at}'s quantization");
                    if (qtype is not ("uint8" or "uint16" or "float16"))
                        throw new FormatException($"{at} uses quantization '{qtype}'; Shikaku reads uint8, uint16 and float16");
                    if (dtype == "bool" || (qtype == "float16" && dtype != "float32"))
                        throw new FormatException($"{at} is {dtype} quantized as {qtype}; tfjs quantizes float32 weights (and int32 ones to uint8/uint16) only");
                    if (qtype != "float16")
                    {
                        scale = Number(q, "scale", $"{at}'s {qtype} quantization");
                        min = Number(q, "min", $"{at}'s {qtype} quantization");
                    }
                }
                var spec = new Spec(name, shape, count, dtype, qtype, scale, min);
                groupBytes += spec.ByteLength;
                if (groupBytes > System.Array.MaxLength) throw new FormatException($"{where} describes more than {System.Array.MaxLength} bytes of weights");
                specs.Add(spec);
            }
            groups.Add(new Group(paths, specs));
        }
        return groups;
    }

    private static JsonElement Array(JsonElement obj, string key, string where) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v : throw new FormatException($"{where} has no array '{key}'");

    private static string String(JsonElement obj, string key, string where) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"{where} has no string '{key}'");

    private static double Number(JsonElement obj, string key, string where) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)
            ? d : throw new FormatException($"{where} has no finite number '{key}'");

    /// <summary>
    /// The group's shards, concatenated: each must resolve (symbolic links followed) inside the manifest's folder, be a
    /// regular file, and together hold exactly <paramref name="needed"/> bytes, checked before anything is read.
    /// </summary>
    private static byte[] ReadShards(string manifestPath, string dir, string[] paths, long needed)
    {
        string folder = dir.EndsWith(Path.DirectorySeparatorChar) ? dir : dir + Path.DirectorySeparatorChar;
        string realFolder = RealPath(dir);
        realFolder = realFolder.EndsWith(Path.DirectorySeparatorChar) ? realFolder : realFolder + Path.DirectorySeparatorChar;
        var files = new List<string>();
        long total = 0;
        foreach (var p in paths)
        {
            string path;
            try
            {
                path = Path.GetFullPath(Path.Combine(dir, p));
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"{manifestPath} names the shard '{p}', which is not a valid path ({e.Message}).", e);
            }
            // Compared with a trailing separator, so that "/models-evil" is not taken to be inside "/models".
            string real = RealPath(path);
            if (!path.StartsWith(folder, StringComparison.Ordinal) || !real.StartsWith(realFolder, StringComparison.Ordinal))
                throw new ModelFormatException(
                    $"{manifestPath} names the shard '{p}', which leads outside the model folder {dir}; refusing to read it. A manifest's paths must stay inside its folder.");
            if (!File.Exists(path) && !Directory.Exists(path)) throw new ModelFormatException($"Weight shard {path} named by {Path.GetFileName(manifestPath)} does not exist.");
            // From here on the resolved file: a link's own length is that of its target's name.
            SafeFile.EnsureRegular(real, "a TF.js weight shard");
            total += new FileInfo(real).Length;
            files.Add(real);
        }
        if (total != needed)
            throw new ModelFormatException(
                $"Shards {string.Join(", ", paths)} hold {total} bytes but {Path.GetFileName(manifestPath)} describes {needed}: " +
                "the weight file is truncated or belongs to another model. Delete the cache folder to fetch it again.");
        var data = new byte[needed];
        int at = 0;
        foreach (var path in files)
        {
            // Bounded by what is still missing: a shard that grew since it was measured is refused, not read.
            byte[] bytes = SafeFile.ReadAllBytes(path, needed - at, "a TF.js weight shard of the size its manifest says");
            bytes.CopyTo(data, at);
            at += bytes.Length;
        }
        if (at != needed) throw new ModelFormatException($"Shards {string.Join(", ", paths)} changed while they were read; try again.");
        return data;
    }

    /// <summary>The path with every symbolic link along it resolved (as realpath(3)); a missing part is kept as written.</summary>
    internal static string RealPath(string path, int depth = 0)
    {
        if (depth > 40) throw new ModelFormatException($"{path}: too many levels of symbolic links.");
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            // The target's own folders may be links too.
            current = RealPath(target?.FullName ?? Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(current)!), depth + 1);
        }
        return current;
    }

    private static Tensor Decode(Spec spec, ReadOnlySpan<byte> bytes)
    {
        int n = (int)spec.Count;
        if (spec.DType == "bool")
        {
            var flags = new bool[n];
            for (int i = 0; i < n; i++) flags[i] = bytes[i] != 0;
            return Tensor.Wrap(flags, spec.Shape);
        }
        if (spec.DType == "int32")
        {
            var ints = new int[n];
            switch (spec.QuantDType)
            {
                case "uint8":
                    for (int i = 0; i < n; i++) ints[i] = DequantizeInt(bytes[i], spec);
                    break;
                case "uint16":
                    for (int i = 0; i < n; i++) ints[i] = DequantizeInt(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]), spec);
                    break;
                default:
                    for (int i = 0; i < n; i++) ints[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                    break;
            }
            return Tensor.Wrap(ints, spec.Shape);
        }
        var values = new float[n];
        switch (spec.QuantDType)
        {
            case "uint8":
                for (int i = 0; i < values.Length; i++) values[i] = (float)(bytes[i] * spec.Scale + spec.Min);
                break;
            case "uint16":
                for (int i = 0; i < values.Length; i++) values[i] = (float)(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) * spec.Scale + spec.Min);
                break;
            case "float16":
                Float16.ToSingle(bytes, values);
                break;
            default:
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
        }
        return Tensor.Wrap(values, spec.Shape);
    }

    // tfjs computes q * scale + min in double precision; float32 weights store it as float32, int32 ones as
    // Math.round of it (halves toward +infinity: -2.5 -> -2), which Floor(v + 0.5) would get wrong just below a half.
    private static int DequantizeInt(int q, Spec spec)
    {
        double v = q * spec.Scale + spec.Min;
        double r = Math.Floor(v);
        if (v - r >= 0.5) r += 1;
        if (r < int.MinValue || r > int.MaxValue)
            throw new ModelFormatException($"int32 weight '{spec.Name}' dequantizes to {r}, outside the int32 range: its quantization min/scale are damaged.");
        return (int)r;
    }
}

/// <summary>Named tensors of one model, with shape checks against what an architecture needs.</summary>
public sealed class WeightMap : IDisposable
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    internal WeightMap(string source) => Source = source;

    /// <summary>The manifest these weights came from (for error messages).</summary>
    public string Source { get; }

    /// <summary>The names of all tensors.</summary>
    public IEnumerable<string> Names => _tensors.Keys;

    /// <summary>The bytes the shards held (as stored: float16 and quantized weights take less than their float32 values).</summary>
    internal long StoredBytes { get; set; }

    /// <summary>Removes the tensor called <paramref name="name"/> and hands it to the caller (who then disposes it), or null.</summary>
    internal Tensor? Take(string name) => _tensors.Remove(name, out var t) ? t : null;

    internal void Add(string name, Tensor tensor)
    {
        if (!_tensors.TryAdd(name, tensor))
        {
            tensor.Dispose();
            throw new ModelFormatException($"{Source} names the weight '{name}' twice.");
        }
    }

    /// <summary>The tensor called <paramref name="name"/>, which must have exactly <paramref name="shape"/>.</summary>
    public Tensor Get(string name, params int[] shape)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new ModelFormatException($"{Source} has no weight '{name}': it is not the model this architecture expects.");
        if (!t.Shape.ToArray().SequenceEqual(shape))
            throw new ModelFormatException(
                $"{Source}: weight '{name}' has shape {t.Shape}, but the architecture needs ({string.Join(", ", shape)}). The manifest belongs to another model or was edited.");
        _used.Add(name);
        return t;
    }

    /// <summary>The tensor called <paramref name="name"/> whatever its shape (the caller checks it).</summary>
    public Tensor Get(string name)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new ModelFormatException($"{Source} has no weight '{name}': it is not the model this architecture expects.");
        _used.Add(name);
        return t;
    }

    /// <summary>Whether a weight of that name exists.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
    }
}
