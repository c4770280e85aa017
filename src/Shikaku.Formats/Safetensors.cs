using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shikaku.IO;
using Shikaku.Tensors;

namespace Shikaku.Formats;

/// <summary>
/// The safetensors format (Hugging Face): 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian data. Models are written and read
/// as F32 (<see cref="Encode"/>, <see cref="Read"/>); <see cref="ReadTensors"/> also reads F16 and BF16
/// (widened to float32), I32, I64, U8 and BOOL as tensors of those dtypes.
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

    /// <summary>Largest header accepted (the official reader's limit): a bigger length field is damage, not a model.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Decodes a file's bytes; every inconsistency is an <see cref="InvalidDataException"/> naming <paramref name="name"/>.</summary>
    public static Dictionary<string, Stored> Decode(byte[] file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        long headerLength = HeaderLength(file, file.Length, name);
        var entries = ParseHeader(file.AsSpan(8, (int)headerLength), file.Length - 8 - headerLength, name, anyDType: false);
        long dataStart = 8 + headerLength;
        var result = new Dictionary<string, Stored>(StringComparer.Ordinal);
        foreach (var e in entries)
            result[e.Key] = new Stored(e.Shape, MemoryMarshal.Cast<byte, float>(file.AsSpan((int)(dataStart + e.Begin), (int)(e.End - e.Begin))).ToArray());
        return result;
    }

    /// <summary>
    /// Reads a safetensors file: a regular file only (a FIFO or a device is refused, never waited on), the header
    /// checked before any tensor is allocated, so nothing is allocated beyond what the file holds. Errors are
    /// <see cref="InvalidDataException"/> (damaged file), <see cref="IOException"/> or <see cref="FileNotFoundException"/>, each naming the file.
    /// </summary>
    /// <example><code>var tensors = Safetensors.Read("runs/mnist/model.safetensors"); var kernel = tensors["dense_1/kernel"];</code></example>
    public static Dictionary<string, Stored> Read(string path) => ReadAll(path, anyDType: false, static (stream, e) =>
    {
        var values = new float[(e.End - e.Begin) / sizeof(float)];
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return new Stored(e.Shape, values);
    }, dispose: null);

    /// <summary>
    /// Reads every tensor of a safetensors file with its dtype: F32, I32, I64, U8 and BOOL as Float32, Int32, Int64,
    /// UInt8 and Bool tensors; F16 and BF16 dequantized to Float32. The same checks as <see cref="Read"/> come first.
    /// The caller disposes the tensors.
    /// </summary>
    /// <example><code>var tensors = Safetensors.ReadTensors("model.safetensors"); using var ids = tensors["input_ids"];</code></example>
    public static Dictionary<string, Tensor> ReadTensors(string path) => ReadAll(path, anyDType: true, ReadTensor, static t => t.Dispose());

    /// <summary>Checks the header, then reads each entry in one sequential pass; on an error what was read is disposed.</summary>
    private static Dictionary<string, T> ReadAll<T>(string path, bool anyDType, Func<Stream, Entry, T> read, Action<T>? dispose)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeFile.EnsureRegular(path, "a safetensors weights");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        long fileLength = stream.Length;
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        try
        {
            Span<byte> first = stackalloc byte[8];
            int got = stream.ReadAtLeast(first, 8, throwOnEndOfStream: false);
            long headerLength = HeaderLength(first[..got], fileLength, path);
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            var entries = ParseHeader(header, fileLength - 8 - headerLength, path, anyDType);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors reading needs a little-endian CPU.");
            // Entries are contiguous in offset order (ParseHeader checks it): one sequential pass reads them all.
            foreach (var e in entries.OrderBy(e => e.Begin)) result[e.Key] = read(stream, e);
            return result;
        }
        catch (Exception e)
        {
            if (dispose is not null) foreach (var t in result.Values) dispose(t);
            if (e is EndOfStreamException)
                throw new InvalidDataException($"{path} became shorter while it was read ({fileLength} bytes when opened); is another program writing it?", e);
            throw;
        }
    }

    private static Tensor ReadTensor(Stream stream, Entry e)
    {
        var t = Tensor.Uninitialized(new Shape(e.Shape), e.DType switch
        {
            "I32" => DType.Int32,
            "I64" => DType.Int64,
            "U8" => DType.UInt8,
            "BOOL" => DType.Bool,
            _ => DType.Float32,
        });
        try
        {
            switch (e.DType)
            {
                case "I32": stream.ReadExactly(MemoryMarshal.AsBytes(t.AsSpan<int>())); break;
                case "I64": stream.ReadExactly(MemoryMarshal.AsBytes(t.AsSpan<long>())); break;
                case "U8": stream.ReadExactly(t.AsSpan<byte>()); break;
                case "BOOL":
                    var flags = t.AsSpan<bool>();
                    var raw = new byte[flags.Length];
                    stream.ReadExactly(raw);
                    for (int i = 0; i < raw.Length; i++) flags[i] = raw[i] != 0; // any nonzero byte is true, never an invalid bool
                    break;
                case "F16" or "BF16":
                    var halves = new byte[2 * t.Length];
                    stream.ReadExactly(halves);
                    var y = t.Span;
                    if (e.DType == "F16") Float16.ToSingle(halves, y);
                    else
                        for (int i = 0; i < y.Length; i++)
                            y[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(halves.AsSpan(2 * i)) << 16);
                    break;
                default: stream.ReadExactly(MemoryMarshal.AsBytes(t.Span)); break;
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private static int ElementSize(string dtype) => dtype switch { "F32" or "I32" => 4, "I64" => 8, "F16" or "BF16" => 2, _ => 1 };

    private static long HeaderLength(ReadOnlySpan<byte> first, long fileLength, string name)
    {
        if (fileLength < 8 || first.Length < 8)
            throw new InvalidDataException($"{name}: {fileLength} bytes is too short for a safetensors file (it starts with an 8-byte header length).");
        // Unsigned in the format: a negative long is a length above 2^63.
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(first);
        if (headerLength == 0 || headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{name}: the header length {headerLength} does not fit the {fileLength}-byte file; the file is truncated or not safetensors.");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{name}: the header length {headerLength} is more than a safetensors header may be ({MaxHeaderBytes} bytes); the file is damaged.");
        return (long)headerLength;
    }

    private sealed record Entry(string Key, int[] Shape, long Begin, long End, string DType);

    /// <summary>Checks every entry against the data section: F32 only, shape products in range, offsets contiguous and covering it.</summary>
    private static List<Entry> ParseHeader(ReadOnlySpan<byte> json, long dataLength, string name, bool anyDType)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: the header is not valid JSON ({e.Message}); the file is damaged or not safetensors.", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{name}: the header is a JSON {doc.RootElement.ValueKind}, not an object of tensors; the file is damaged or not safetensors.");
            var entries = new List<Entry>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                entries.Add(ParseEntry(property.Name, property.Value, dataLength, name, anyDType));
            }
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long at = 0;
            foreach (var e in entries)
            {
                if (e.Begin != at)
                    throw new InvalidDataException(e.Begin < at
                        ? $"{name}: '{Clip(e.Key)}' (bytes {e.Begin}..{e.End}) overlaps the tensor before it (which ends at {at}); the file is damaged."
                        : $"{name}: the data has a gap at bytes {at}..{e.Begin} before '{Clip(e.Key)}'; the file is damaged.");
                at = e.End;
            }
            if (at != dataLength)
                throw new InvalidDataException($"{name}: the tensors cover {at} bytes but the data section has {dataLength}; the file is damaged or has bytes appended.");
            return entries;
        }
    }

    private static Entry ParseEntry(string key, JsonElement node, long dataLength, string name, bool anyDType)
    {
        string Where(string field) => $"{name}: '{Clip(key)}'{(field.Length > 0 ? "." + field : "")}";
        if (node.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{Where("")} is a JSON {node.ValueKind}, not a tensor entry; the file is damaged.");
        if (!node.TryGetProperty("dtype", out var dtypeNode) || dtypeNode.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{Where("dtype")} is missing or not a string; the file is damaged.");
        string dtype = dtypeNode.GetString()!;
        if (anyDType ? dtype is not ("F32" or "F16" or "BF16" or "I32" or "I64" or "U8" or "BOOL") : dtype != "F32")
            throw new InvalidDataException(anyDType
                ? $"{Where("")} has dtype {Clip(dtype)}; Shikaku reads F32, F16, BF16, I32, I64, U8 and BOOL (convert the tensor to one of them)."
                : $"{Where("")} has dtype {Clip(dtype)}; only F32 is supported for model weights (convert the weights to float32, or read other tensors with Safetensors.ReadTensors).");
        if (!node.TryGetProperty("shape", out var shapeNode) || shapeNode.ValueKind != JsonValueKind.Array || shapeNode.GetArrayLength() > 8)
            throw new InvalidDataException($"{Where("shape")} is missing or not an array of at most 8 dimensions; the file is damaged.");
        var shape = new int[shapeNode.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var d in shapeNode.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                throw new InvalidDataException($"{Where("shape")}[{i}] is {Clip(d.GetRawText())}, not a dimension (a whole number >= 0); the file is damaged.");
            // Checked at each step: the product of 8 dimensions of 2^31 would overflow a long.
            count *= shape[i];
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{Where("shape")} ({string.Join(", ", shape[..(i + 1)])}...) has more than {Array.MaxLength} values; the file is damaged.");
            i++;
        }
        if (!node.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64Strict(out long begin) || !offsets[1].TryGetInt64Strict(out long end))
            throw new InvalidDataException($"{Where("data_offsets")} is missing or not two whole numbers [begin, end]; the file is damaged.");
        if (begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"{name}: '{Clip(key)}' claims bytes {begin}..{end}, but the data section has {dataLength} bytes; the file is truncated or corrupt.");
        int size = ElementSize(dtype);
        if (end - begin != count * size)
            throw new InvalidDataException($"{name}: '{Clip(key)}' has shape ({string.Join(", ", shape)}) = {count} {dtype} values = {count * size} bytes, but its offsets {begin}..{end} hold {end - begin}; the file is corrupt.");
        return new Entry(key, shape, begin, end, dtype);
    }

    private static bool TryGetInt64Strict(this JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value);
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
