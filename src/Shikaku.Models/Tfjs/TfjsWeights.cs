using System.Buffers.Binary;
using System.Text.Json;
using Shikaku.Tensors;

namespace Shikaku.Models.Tfjs;

/// <summary>
/// Reads TF.js weight manifests (<c>*-weights_manifest.json</c>) and their binary shards: float32, int32,
/// and weights quantized to uint8/uint16 (value = q * scale + min) or float16, as tfjs-core's
/// <c>decodeWeights</c> defines them. Every size is checked, so a truncated or swapped file is an error
/// that names the file, never a silent wrong answer.
/// </summary>
public static class TfjsWeights
{
    /// <summary>Loads every tensor a manifest describes; shard paths are relative to the manifest.</summary>
    public static WeightMap Load(string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        if (!File.Exists(manifestPath)) throw new ModelFormatException($"Weight manifest {manifestPath} does not exist.");
        List<Group> groups;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            groups = ParseManifest(doc.RootElement);
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"Weight manifest {manifestPath} is not valid JSON ({e.Message}).");
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new ModelFormatException($"Weight manifest {manifestPath} is not a TF.js weights manifest ({e.Message}).");
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        var map = new WeightMap(Path.GetFileName(manifestPath));
        try
        {
            foreach (var group in groups)
            {
                byte[] data = ReadShards(dir, group.Paths);
                long needed = group.Specs.Sum(s => s.ByteLength);
                if (data.Length != needed)
                    throw new ModelFormatException(
                        $"Shards {string.Join(", ", group.Paths)} hold {data.Length} bytes but {Path.GetFileName(manifestPath)} describes {needed}: " +
                        "the weight file is truncated or belongs to another model. Delete the cache folder to fetch it again.");
                int offset = 0;
                foreach (var spec in group.Specs)
                {
                    map.Add(spec.Name, Decode(spec, data.AsSpan(offset, (int)spec.ByteLength)));
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

    private sealed record Spec(string Name, int[] Shape, string DType, string? QuantDType, double Scale, double Min)
    {
        public long Count => Shape.Aggregate(1L, (a, b) => a * b);
        public long ByteLength => Count * (QuantDType switch { "uint8" => 1, "uint16" or "float16" => 2, _ => 4 });
    }

    private sealed record Group(string[] Paths, List<Spec> Specs);

    private static List<Group> ParseManifest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array) throw new FormatException("the top level must be an array of weight groups");
        var groups = new List<Group>();
        foreach (var g in root.EnumerateArray())
        {
            var paths = g.GetProperty("paths").EnumerateArray().Select(p => p.GetString() ?? throw new FormatException("a shard path is null")).ToArray();
            var specs = new List<Spec>();
            foreach (var w in g.GetProperty("weights").EnumerateArray())
            {
                string name = w.GetProperty("name").GetString() ?? throw new FormatException("a weight has no name");
                int[] shape = w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                if (shape.Any(d => d < 0)) throw new FormatException($"weight '{name}' has a negative dimension");
                string dtype = w.GetProperty("dtype").GetString() ?? "float32";
                if (dtype is not ("float32" or "int32"))
                    throw new FormatException($"weight '{name}' has dtype '{dtype}'; Shikaku reads float32 and int32");
                string? qtype = null;
                double scale = 1, min = 0;
                if (w.TryGetProperty("quantization", out var q))
                {
                    qtype = q.GetProperty("dtype").GetString();
                    if (qtype is not ("uint8" or "uint16" or "float16"))
                        throw new FormatException($"weight '{name}' uses quantization '{qtype}'; Shikaku reads uint8, uint16 and float16");
                    if (qtype != "float16")
                    {
                        scale = q.GetProperty("scale").GetDouble();
                        min = q.GetProperty("min").GetDouble();
                    }
                }
                specs.Add(new Spec(name, shape, dtype, qtype, scale, min));
            }
            groups.Add(new Group(paths, specs));
        }
        return groups;
    }

    private static byte[] ReadShards(string dir, string[] paths)
    {
        using var all = new MemoryStream();
        foreach (var p in paths)
        {
            string path = Path.Combine(dir, p);
            if (!File.Exists(path)) throw new ModelFormatException($"Weight shard {path} named by the manifest does not exist.");
            using var f = File.OpenRead(path);
            f.CopyTo(all);
        }
        return all.ToArray();
    }

    private static Tensor Decode(Spec spec, ReadOnlySpan<byte> bytes)
    {
        var values = new float[spec.Count];
        bool isInt = spec.DType == "int32";
        switch (spec.QuantDType)
        {
            case "uint8":
                for (int i = 0; i < values.Length; i++) values[i] = Dequantize(bytes[i], spec, isInt);
                break;
            case "uint16":
                for (int i = 0; i < values.Length; i++) values[i] = Dequantize(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]), spec, isInt);
                break;
            case "float16":
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            default:
                for (int i = 0; i < values.Length; i++)
                    values[i] = isInt ? BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
        }
        return Tensor.Wrap(values, spec.Shape);
    }

    // tfjs computes q * scale + min in double precision and stores it as float32 (int32: rounded).
    private static float Dequantize(int q, Spec spec, bool isInt)
    {
        double v = q * spec.Scale + spec.Min;
        return isInt ? (float)Math.Round(v, MidpointRounding.AwayFromZero) : (float)v;
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
