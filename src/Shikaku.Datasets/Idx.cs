using System.Buffers.Binary;
using System.IO.Compression;
using Shikaku.IO;

namespace Shikaku.Datasets;

/// <summary>An IDX file's content: unsigned bytes with their dimensions (MNIST's format).</summary>
public sealed record IdxData(int[] Dimensions, byte[] Values);

/// <summary>
/// Reads IDX files (raw or gzipped), as used by MNIST and Fashion-MNIST: magic 0x0000 08 NN
/// (unsigned bytes, NN dimensions), big-endian sizes, then the values. Every way a file can be
/// wrong is reported with the file name and what was found.
/// </summary>
public static class Idx
{
    /// <summary>DEFLATE's best compression ratio (about 1032:1): a gzip file cannot hold more than this many bytes per byte.</summary>
    private const long MaxGzipRatio = 1032;

    /// <summary>
    /// Reads a file; ".gz" files (or files starting with the gzip magic) are decompressed. Only a regular file is
    /// opened (a FIFO or device is an <see cref="IOException"/>), and a header promising more values than the file
    /// can hold is an <see cref="InvalidDataException"/> before anything is allocated.
    /// </summary>
    public static IdxData Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path) && !Directory.Exists(path)) throw new InvalidDataException($"{path}: no such file.");
        SafeFile.EnsureRegular(path, "an IDX");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Span<byte> head = stackalloc byte[2];
        int got = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B;
        if (!gzip) return Read(file, path);
        using var stream = new GZipStream(file, CompressionMode.Decompress);
        try
        {
            return Read(stream, path, file.Length * MaxGzipRatio);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Reads IDX data from a stream; <paramref name="name"/> appears in errors. Memory grows only with the data
    /// actually read (a seekable stream is checked against its length first), so a lying header cannot make it
    /// allocate more than the stream holds.
    /// </summary>
    public static IdxData Read(Stream stream, string name) => Read(stream, name, long.MaxValue);

    private static IdxData Read(Stream stream, string name, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[4];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < 4) throw new InvalidDataException($"{name}: too short to be an IDX file (no header).");
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException($"{name}: wrong magic number 0x{header[0]:X2}{header[1]:X2}{header[2]:X2}{header[3]:X2}; an IDX file starts with 0x0000. Is this an IDX file (gzipped ones end in .gz)?");
        if (header[2] != 0x08)
            throw new InvalidDataException($"{name}: element type 0x{header[2]:X2} is not supported; only unsigned bytes (0x08), as in MNIST.");
        int rank = header[3];
        if (rank is < 1 or > 4) throw new InvalidDataException($"{name}: {rank} dimensions; expected 1 to 4.");
        var dimBytes = new byte[4 * rank];
        if (stream.ReadAtLeast(dimBytes, dimBytes.Length, throwOnEndOfStream: false) < dimBytes.Length) throw new InvalidDataException($"{name}: the header is truncated.");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (dims[i] < 0) throw new InvalidDataException($"{name}: dimension {i} is negative ({dims[i]}).");
            if (dims[i] == 0) throw new InvalidDataException($"{name}: dimension {i} is 0 ({string.Join("x", dims[..(i + 1)])}...): the file holds no data.");
            count *= dims[i]; // at most 4 factors below 2^31, checked at each: fits a long
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{name}: the header promises more than {Array.MaxLength} values ({string.Join("x", dims[..(i + 1)])}...); the file is damaged or not an IDX file.");
        }
        long available = stream.CanSeek ? stream.Length - stream.Position : maxBytes - 4 - dimBytes.Length;
        if (count > available)
            throw new InvalidDataException(stream.CanSeek
                ? $"{name}: truncated: the header promises {count} values ({string.Join("x", dims)}) but the file holds {available}."
                : $"{name}: the header promises {count} values ({string.Join("x", dims)}), more than a file of this size can hold compressed; the file is damaged.");
        // Grown as data arrives: a header that lies about a stream of unknown length costs at most twice what is really there.
        var values = new byte[Math.Min(count, 1 << 20)];
        long read = 0;
        while (true)
        {
            var rest = values.AsSpan((int)read);
            read += stream.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false);
            if (read < values.Length || values.Length == count) break;
            Array.Resize(ref values, (int)Math.Min(count, 2L * values.Length));
        }
        if (read < count)
            throw new InvalidDataException($"{name}: truncated: the header promises {count} values ({string.Join("x", dims)}) but the file holds {read}.");
        return new IdxData(dims, values);
    }

}
