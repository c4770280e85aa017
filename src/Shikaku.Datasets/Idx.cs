using System.Buffers.Binary;
using System.IO.Compression;

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
    /// <summary>Reads a file; ".gz" files (or files starting with the gzip magic) are decompressed.</summary>
    public static IdxData Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file.");
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[2];
        int got = file.Read(head);
        file.Position = 0;
        bool gzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            return Read(stream, path);
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({e.Message}).", e);
        }
    }

    /// <summary>Reads IDX data from a stream; <paramref name="name"/> appears in errors.</summary>
    public static IdxData Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[4];
        if (ReadFully(stream, header) < 4) throw new InvalidDataException($"{name}: too short to be an IDX file (no header).");
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException($"{name}: wrong magic number 0x{header[0]:X2}{header[1]:X2}{header[2]:X2}{header[3]:X2}; an IDX file starts with 0x0000. Is this an IDX file (gzipped ones end in .gz)?");
        if (header[2] != 0x08)
            throw new InvalidDataException($"{name}: element type 0x{header[2]:X2} is not supported; only unsigned bytes (0x08), as in MNIST.");
        int rank = header[3];
        if (rank is < 1 or > 4) throw new InvalidDataException($"{name}: {rank} dimensions; expected 1 to 4.");
        var dimBytes = new byte[4 * rank];
        if (ReadFully(stream, dimBytes) < dimBytes.Length) throw new InvalidDataException($"{name}: the header is truncated.");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * i));
            if (dims[i] < 0) throw new InvalidDataException($"{name}: dimension {i} is negative ({dims[i]}).");
            count *= dims[i];
        }
        if (count > int.MaxValue) throw new InvalidDataException($"{name}: {count} values is too many.");
        var values = new byte[count];
        int read = ReadFully(stream, values);
        if (read < count)
            throw new InvalidDataException($"{name}: truncated: the header promises {count} values ({string.Join("x", dims)}) but the file holds {read}.");
        return new IdxData(dims, values);
    }

    private static int ReadFully(Stream s, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
