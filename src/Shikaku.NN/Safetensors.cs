using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.Tensors;

namespace Shikaku.NN;

/// <summary>
/// The safetensors format (Hugging Face): 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian data. Float32 only.
/// </summary>
public static class Safetensors
{
    /// <summary>A tensor read from a file.</summary>
    public sealed record Stored(int[] Shape, float[] Values);

    /// <summary>Encodes named tensors in the given order.</summary>
    public static byte[] Encode(IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt", ["producer"] = "shikaku" } };
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            long size = (long)value.Length * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(value.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces
        var result = new byte[8 + padded + offset];
        BinaryPrimitives.WriteInt64LittleEndian(result, padded);
        json.CopyTo(result, 8);
        for (int i = 8 + json.Length; i < 8 + padded; i++) result[i] = (byte)' ';
        long at = 8 + padded;
        foreach (var (_, value) in tensors)
        {
            var bytes = MemoryMarshal.AsBytes(value.Span);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian CPU.");
            bytes.CopyTo(result.AsSpan((int)at));
            at += bytes.Length;
        }
        return result;
    }

    /// <summary>Decodes a file's bytes; every inconsistency is an <see cref="InvalidDataException"/> naming <paramref name="name"/>.</summary>
    public static Dictionary<string, Stored> Decode(byte[] file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Length < 8) throw new InvalidDataException($"{name}: {file.Length} bytes is too short for a safetensors file.");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        if (headerLength <= 0 || headerLength > file.Length - 8)
            throw new InvalidDataException($"{name}: the header length {headerLength} does not fit the {file.Length}-byte file; the file is truncated or not safetensors.");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, (int)headerLength))?.AsObject() ?? throw new InvalidDataException($"{name}: empty header.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{name}: the header is not valid JSON ({e.Message}).", e);
        }
        long dataStart = 8 + headerLength, dataLength = file.Length - dataStart;
        var result = new Dictionary<string, Stored>();
        foreach (var (key, node) in header)
        {
            if (key == "__metadata__") continue;
            try
            {
                string dtype = node!["dtype"]!.GetValue<string>();
                if (dtype != "F32") throw new InvalidDataException($"{name}: '{key}' has dtype {dtype}; only F32 is supported.");
                int[] shape = node["shape"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray();
                long begin = node["data_offsets"]![0]!.GetValue<long>(), end = node["data_offsets"]![1]!.GetValue<long>();
                long count = shape.Aggregate(1L, (a, d) => a * d);
                if (begin < 0 || end > dataLength || end - begin != count * sizeof(float))
                    throw new InvalidDataException($"{name}: '{key}' claims bytes {begin}..{end} for {count} floats, but the data section has {dataLength} bytes; the file is truncated or corrupt.");
                var values = MemoryMarshal.Cast<byte, float>(file.AsSpan((int)(dataStart + begin), (int)(end - begin))).ToArray();
                result[key] = new Stored(shape, values);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{name}: the entry '{key}' is malformed.", e);
            }
        }
        return result;
    }
}
