using System.Runtime.InteropServices;
using System.Text;

namespace Shikaku.IO;

/// <summary>
/// Reading and writing files that may be hostile: only regular files are opened (a FIFO would block
/// forever, <c>/dev/zero</c> would never end), every read is bounded by the format's own limit, and
/// every write goes to a temporary file first and is renamed into place, so a failed or interrupted
/// write never leaves half a file and never replaces one unless asked.
/// </summary>
/// <example><code>
/// byte[] header = SafeFile.ReadAllBytes("model.json", 64 &lt;&lt; 20, "a model description");
/// SafeFile.WriteAllBytes("out.csv", bytes, overwrite: false);
/// </code></example>
public static partial class SafeFile
{
    /// <summary>
    /// Fails unless <paramref name="path"/> is an existing regular file (symlinks followed);
    /// <paramref name="what"/> names what the file should be, for the message.
    /// </summary>
    public static void EnsureRegular(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new IOException($"{path} is a folder; give {what} file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected {what}).", path);
        var kind = Kind(path);
        if (kind is not (FileKind.Regular or FileKind.Unknown))
            throw new IOException($"{path} is a {Describe(kind)}, not a regular file; give {what} file.");
    }

    /// <summary>Whole contents of a regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        EnsureRegular(path, what);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        long length = stream.Length;
        if (length > maxBytes)
            throw new IOException($"{path} is {length:N0} bytes, more than {what} may be ({maxBytes:N0} bytes); it is not {what} or it is damaged.");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        // A file that grew while it was read is read only as far as its length said.
        return bytes;
    }

    /// <summary>Whole contents of a regular UTF-8 text file of at most <paramref name="maxBytes"/> bytes.</summary>
    public static string ReadAllText(string path, long maxBytes, string what) =>
        Encoding.UTF8.GetString(ReadAllBytes(path, maxBytes, what));

    /// <summary>
    /// Writes through a temporary file in the same folder, renamed into place when complete.
    /// Refuses an existing file unless <paramref name="overwrite"/>; never leaves a partial file.
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{path} is a folder, not a file name.");
        if (!overwrite && File.Exists(full)) throw new IOException($"{path} already exists; pass --overwrite to replace it, or choose another name.");
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{path}: the folder {dir} does not exist.");
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite);
        }
        catch (IOException e) when (!overwrite && File.Exists(full) && e is not DirectoryNotFoundException)
        {
            throw new IOException($"{path} already exists; pass --overwrite to replace it, or choose another name.", e);
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: cannot be written ({e.Message}).", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary><see cref="Write(string, Action{Stream}, bool)"/> of a byte array.</summary>
    public static void WriteAllBytes(string path, byte[] bytes, bool overwrite) =>
        Write(path, s => s.Write(bytes), overwrite);

    /// <summary><see cref="Write(string, Action{Stream}, bool)"/> of UTF-8 text.</summary>
    public static void WriteAllText(string path, string text, bool overwrite) =>
        WriteAllBytes(path, Encoding.UTF8.GetBytes(text), overwrite);

    private enum FileKind { Unknown, Regular, Directory, Fifo, CharDevice, BlockDevice, Socket }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "named pipe (FIFO)",
        FileKind.CharDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Socket => "socket",
        _ => "special file",
    };

    /// <summary>The file type from the .NET runtime's own stat (the mode bits of its FileStatus).</summary>
    private static unsafe FileKind Kind(string path)
    {
        if (OperatingSystem.IsWindows()) return FileKind.Unknown;
        byte* status = stackalloc byte[512]; // FileStatus is about 130 bytes; Mode is its second int32
        try
        {
            if (SystemNativeStat(path, status) != 0) return FileKind.Unknown;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Unknown;
        }
        return (*(int*)(status + 4) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Unknown,
        };
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int SystemNativeStat(string path, byte* output);
}
