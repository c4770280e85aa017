using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Shikaku.IO;
using Shikaku.Kernels;
using Shikaku.Tensors;

namespace Shikaku.Formats;

/// <summary>
/// NumPy's <c>.npy</c> (one array) and <c>.npz</c> (a zip of named <c>.npy</c> arrays, as <c>np.savez</c> and
/// <c>np.savez_compressed</c> write them): the format scientists already pass tensors in. Reads float32, float16 and
/// float64 (both widened or narrowed to float32, as TF.js does with float64 input), int32, int64, uint8 and bool,
/// little- or big-endian, C or Fortran order; writes version 1.0 files byte for byte as NumPy does. Files are
/// untrusted: the header is parsed, never evaluated (no pickled objects), and every size is checked against the
/// bytes that are there before anything is allocated.
/// </summary>
/// <example><code>
/// using var x = Npy.Read("x.npy");
/// Npy.Write("y.npy", x, overwrite: false);
/// using var outputs = Npy.ReadNpz("y.npz"); var boxes = outputs["boxes"];
/// </code></example>
public static class Npy
{
    /// <summary>Largest array read by default (4 GiB of data).</summary>
    public const long DefaultMaxBytes = 4L << 30;

    /// <summary>Largest header read (NumPy writes about 128 bytes).</summary>
    public const int MaxHeaderBytes = 1 << 16;

    /// <summary>Most arrays in one .npz.</summary>
    public const int MaxArchiveEntries = 10_000;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads one array from a .npy file; a damaged or unsupported file is a <see cref="ModelFormatException"/> naming it.</summary>
    public static Tensor Read(string path, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeFile.EnsureRegular(path, "a NumPy .npy file");
        using var stream = File.OpenRead(path);
        return Read(stream, stream.Length, path, maxBytes);
    }

    /// <summary>Reads one array from <paramref name="stream"/>, which holds <paramref name="length"/> bytes; <paramref name="source"/> names it in errors.</summary>
    public static Tensor Read(Stream stream, long length, string source, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = ReadHeader(stream, length, source, out long dataBytes);
        // What is allocated counts: float16 widens to twice its bytes.
        long allocated = Math.Max(dataBytes, (long)header.Shape.Length * header.DType.ElementSize());
        if (allocated > maxBytes)
            throw new ModelFormatException($"{source}: the array {header.Shape} of {header.Descr} needs {allocated} bytes, over the limit of {maxBytes}.");
        if (length >= 0 && header.DataOffset + dataBytes > length)
            throw new ModelFormatException($"{source}: the header promises a {header.Shape} array of {header.Descr} ({dataBytes} bytes) but only {length - header.DataOffset} bytes follow it; the file is truncated.");
        return ReadData(stream, header, dataBytes, source);
    }

    /// <summary>Writes <paramref name="tensor"/> as a .npy file (never over an existing file unless <paramref name="overwrite"/>).</summary>
    public static void Write(string path, Tensor tensor, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        SafeFile.Write(path, s => Write(s, tensor), overwrite);
    }

    /// <summary>Writes <paramref name="tensor"/> to <paramref name="stream"/> in .npy version 1.0, as <c>np.save</c> writes it.</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        string descr = tensor.DType switch
        {
            DType.Float32 => "<f4",
            DType.Int32 => "<i4",
            DType.Int64 => "<i8",
            DType.UInt8 => "|u1",
            DType.Bool => "|b1",
            _ => throw new NotSupportedException($"No .npy type for {tensor.DType}."),
        };
        var dims = tensor.Shape.ToArray();
        string shape = dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic (6) + version (2) + length (2) + dict + padding + '\n', a multiple of 64 bytes in all.
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        var head = new byte[total];
        Magic.CopyTo(head, 0);
        head[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(8), (ushort)(total - 10));
        Encoding.ASCII.GetBytes(dict, head.AsSpan(10));
        head.AsSpan(10 + dict.Length, total - 11 - dict.Length).Fill((byte)' ');
        head[^1] = (byte)'\n';
        stream.Write(head);
        stream.Write(Bytes(tensor));
    }

    /// <summary>Reads every array of a .npz archive by name (the ".npy" dropped), in archive order.</summary>
    public static NpzArchive ReadNpz(string path, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeFile.EnsureRegular(path, "a NumPy .npz file");
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new ModelFormatException($"{path} is not a .npz (zip) archive: {e.Message}", e); }
        var arrays = new NpzArchive();
        try
        {
            using (zip)
            {
                if (zip.Entries.Count > MaxArchiveEntries)
                    throw new ModelFormatException($"{path} holds {zip.Entries.Count} entries, over the limit of {MaxArchiveEntries}.");
                long total = 0;
                foreach (var entry in zip.Entries)
                {
                    if (entry.FullName.EndsWith('/')) continue;
                    string name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                    string source = $"{path}!{entry.FullName}";
                    if (arrays.ContainsKey(name)) throw new ModelFormatException($"{source}: a second array named '{name}'.");
                    // No entry expands more than deflate can (about 1032:1): a higher declared ratio is a bomb. The entry's declared
                    // size (which its stream never reads past) bounds the header's promise before anything is allocated.
                    if (entry.Length > entry.CompressedLength * 1100 + 4096)
                        throw new ModelFormatException($"{source}: {entry.CompressedLength} compressed bytes claim to expand to {entry.Length}, more than deflate can; the archive is damaged or a bomb.");
                    using var s = entry.Open();
                    var tensor = Read(s, entry.Length, source, maxBytes - total);
                    total += (long)tensor.Shape.Length * tensor.DType.ElementSize();
                    arrays.Add(name, tensor);
                    if (s.ReadByte() >= 0) throw new ModelFormatException($"{source}: bytes follow the array's data; the entry is not one .npy array.");
                }
            }
            return arrays;
        }
        catch (Exception e)
        {
            arrays.Dispose();
            if (e is InvalidDataException) throw new ModelFormatException($"{path}: a damaged zip entry: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Writes named arrays as a .npz archive (stored, like <c>np.savez</c>; <paramref name="compress"/>: deflated, like <c>np.savez_compressed</c>).</summary>
    public static void WriteNpz(string path, IEnumerable<KeyValuePair<string, Tensor>> arrays, bool overwrite, bool compress = false)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        SafeFile.Write(path, s =>
        {
            using var zip = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, tensor) in arrays)
            {
                // A graph's value names ("tower_0/detections") stay as they are, as np.savez keeps them; nothing is ever extracted to disk.
                if (string.IsNullOrEmpty(name) || name.StartsWith('/') || name.Contains('\\') || name.Split('/').Contains("..") || !names.Add(name))
                    throw new ArgumentException($"Array name '{name}' is empty, starts with '/', holds '\\' or '..', or is used twice.", nameof(arrays));
                var entry = zip.CreateEntry(name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                using var es = entry.Open();
                Write(es, tensor);
            }
        }, overwrite);
    }

    private sealed record Header(string Descr, DType DType, int ElementSize, bool BigEndian, bool FortranOrder, Shape Shape, long DataOffset);

    private static Header ReadHeader(Stream stream, long length, string source, out long dataBytes)
    {
        Span<byte> pre = stackalloc byte[12];
        if (stream.ReadAtLeast(pre[..10], 10, throwOnEndOfStream: false) < 10 || !pre[..6].SequenceEqual(Magic))
            throw new ModelFormatException($"{source} is not a NumPy .npy array (it does not start with \\x93NUMPY).");
        int major = pre[6];
        long headerLength, offset;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]);
            offset = 10;
        }
        else if (major is 2 or 3)
        {
            if (stream.ReadAtLeast(pre[10..12], 2, throwOnEndOfStream: false) < 2) throw new ModelFormatException($"{source}: the .npy header is truncated.");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
            offset = 12;
        }
        else throw new ModelFormatException($"{source}: .npy format version {major}.{pre[7]} is not supported (1.0, 2.0 and 3.0 are).");
        if (headerLength > MaxHeaderBytes || (length >= 0 && offset + headerLength > length))
            throw new ModelFormatException($"{source}: the .npy header claims {headerLength} bytes; the limit is {MaxHeaderBytes} and the file has {length}.");
        var text = new byte[headerLength];
        if (stream.ReadAtLeast(text, text.Length, throwOnEndOfStream: false) < headerLength) throw new ModelFormatException($"{source}: the .npy header is truncated.");
        string dict = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(text);
        var header = ParseHeader(dict, source, offset + headerLength);
        dataBytes = (long)header.Shape.Length * header.ElementSize;
        return header;
    }

    // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
    private static Header ParseHeader(string dict, string source, long dataOffset)
    {
        ModelFormatException Bad(string what) => new($"{source}: the .npy header {dict.TrimEnd()} {what}.");
        var p = new HeaderReader(dict);
        string? descr = null;
        bool? fortran = null;
        int[]? dims = null;
        p.Expect('{');
        while (!p.TryTake('}'))
        {
            string key = p.String() ?? throw Bad("has a key that is not a string");
            p.Expect(':');
            switch (key)
            {
                case "descr": descr = p.String() ?? throw Bad("gives 'descr' as something other than a type string (a structured dtype?)"); break;
                case "fortran_order": fortran = p.Bool() ?? throw Bad("gives 'fortran_order' as neither True nor False"); break;
                case "shape": dims = p.Tuple() ?? throw Bad("gives 'shape' as something other than a tuple of sizes"); break;
                default: throw Bad($"has an unknown key '{key}'");
            }
            if (!p.TryTake(',')) { p.Expect('}'); break; }
        }
        if (!p.AtEnd) throw Bad("has text after the dict");
        if (descr == null || fortran == null || dims == null) throw Bad("lacks 'descr', 'fortran_order' or 'shape'");
        if (p.Failed) throw Bad("is not a dict literal");
        if (dims.Length > 32) throw Bad($"has {dims.Length} dimensions (at most 32 are read)");
        Shape shape;
        try { shape = new Shape(dims); }
        catch (ArgumentException e) { throw Bad($"has an impossible shape: {e.Message}"); }
        bool big = descr[0] == '>';
        var (dtype, size) = descr.TrimStart('<', '>', '|', '=') switch
        {
            "f4" => (DType.Float32, 4),
            "f2" => (DType.Float32, 2),
            "f8" => (DType.Float32, 8),
            "i4" => (DType.Int32, 4),
            "i8" => (DType.Int64, 8),
            "u1" => (DType.UInt8, 1),
            "b1" => (DType.Bool, 1),
            _ => throw new ModelFormatException(
                $"{source}: arrays of type '{descr}' are not read (float16/32/64, int32, int64, uint8 and bool are); convert it with x.astype(np.float32) or np.int32."),
        };
        return new Header(descr, dtype, size, big && size > 1, fortran.Value, shape, dataOffset);
    }

    private static Tensor ReadData(Stream stream, Header h, long dataBytes, string source)
    {
        var dims = h.Shape.ToArray();
        // Fortran order: the data is the C-order array of the reversed shape, transposed.
        var stored = h.FortranOrder ? new Shape(dims.Reverse().ToArray()) : h.Shape;
        var t = Tensor.Uninitialized(stored, h.DType);
        try
        {
            if (h.ElementSize == h.DType.ElementSize())
            {
                var bytes = Bytes(t);
                if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < dataBytes) throw Truncated(source, h, dataBytes);
                if (h.BigEndian) Swap(bytes, h.ElementSize);
                if (h.DType == DType.Bool)
                    foreach (byte b in bytes)
                        if (b > 1) throw new ModelFormatException($"{source}: a bool array holds the byte {b} (only 0 and 1 are booleans).");
            }
            else
            {
                // float16 or float64 to float32, a block at a time.
                var values = t.AsSpan<float>();
                var block = new byte[Math.Min(dataBytes, 1 << 20) / h.ElementSize * h.ElementSize];
                for (int done = 0; done < values.Length;)
                {
                    int count = Math.Min(values.Length - done, block.Length / h.ElementSize);
                    var chunk = block.AsSpan(0, count * h.ElementSize);
                    if (stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false) < chunk.Length) throw Truncated(source, h, dataBytes);
                    if (h.BigEndian) Swap(chunk, h.ElementSize);
                    if (h.ElementSize == 2) Float16.ToSingle(chunk, values.Slice(done, count));
                    else
                    {
                        var wide = MemoryMarshal.Cast<byte, double>(chunk);
                        for (int i = 0; i < count; i++) values[done + i] = (float)wide[i];
                    }
                    done += count;
                }
            }
            if (!h.FortranOrder || dims.Length < 2) return t;
            using (t) return TensorOps.Transpose(t, Enumerable.Range(0, dims.Length).Reverse().ToArray());
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private static ModelFormatException Truncated(string source, Header h, long dataBytes) =>
        new($"{source}: the header promises a {h.Shape} array of {h.Descr} ({dataBytes} bytes) but the data ends early; the file is truncated.");

    private static Span<byte> Bytes(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(t.AsSpan<float>()),
        DType.Int32 => MemoryMarshal.AsBytes(t.AsSpan<int>()),
        DType.Int64 => MemoryMarshal.AsBytes(t.AsSpan<long>()),
        DType.UInt8 => t.AsSpan<byte>(),
        DType.Bool => MemoryMarshal.AsBytes(t.AsSpan<bool>()),
        _ => throw new NotSupportedException($"No byte view of {t.DType}."),
    };

    private static void Swap(Span<byte> bytes, int size)
    {
        for (int i = 0; i + size <= bytes.Length; i += size) bytes.Slice(i, size).Reverse();
    }


    // A reader of the few Python literals a .npy header holds: strings, True/False, tuples of integers.
    private ref struct HeaderReader(string text)
    {
        private readonly string _text = text;
        private int _at;
        public bool Failed { get; private set; }

        public bool AtEnd
        {
            get
            {
                SkipSpace();
                return _at >= _text.Length;
            }
        }

        private void SkipSpace()
        {
            while (_at < _text.Length && char.IsWhiteSpace(_text[_at])) _at++;
        }

        public bool TryTake(char c)
        {
            SkipSpace();
            if (_at < _text.Length && _text[_at] == c)
            {
                _at++;
                return true;
            }
            return false;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) Failed = true;
        }

        public string? String()
        {
            SkipSpace();
            if (_at >= _text.Length || (_text[_at] != '\'' && _text[_at] != '"')) return null;
            char quote = _text[_at];
            int end = _text.IndexOf(quote, _at + 1);
            if (end < 0) return null;
            string s = _text[(_at + 1)..end];
            _at = end + 1;
            return s.Length == 0 ? null : s;
        }

        public bool? Bool()
        {
            SkipSpace();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
                if (string.CompareOrdinal(_text, _at, word, 0, word.Length) == 0)
                {
                    _at += word.Length;
                    return value;
                }
            return null;
        }

        public int[]? Tuple()
        {
            if (!TryTake('(')) return null;
            var dims = new List<int>();
            while (!TryTake(')'))
            {
                SkipSpace();
                int start = _at;
                while (_at < _text.Length && char.IsAsciiDigit(_text[_at])) _at++;
                if (_at == start || _at - start > 10
                    || !int.TryParse(_text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d)) return null;
                dims.Add(d);
                if (dims.Count > 64) return null;
                if (!TryTake(','))
                {
                    if (!TryTake(')')) return null;
                    break;
                }
            }
            return [.. dims];
        }
    }
}

/// <summary>The arrays of a .npz archive by name; disposing it disposes them.</summary>
public sealed class NpzArchive : Dictionary<string, Tensor>, IDisposable
{
    internal NpzArchive() : base(StringComparer.Ordinal) { }

    /// <summary>Disposes every array.</summary>
    public void Dispose()
    {
        foreach (var t in Values) t.Dispose();
        Clear();
    }
}
