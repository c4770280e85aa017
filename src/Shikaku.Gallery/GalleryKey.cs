using System.Security.Cryptography;
using System.Text;

namespace Shikaku.Gallery;

/// <summary>A gallery's error: a wrong key, altered bytes, a refused descriptor, a missing consent. The message says what to do.</summary>
public sealed class GalleryException(string message) : ShikakuException(message);

/// <summary>
/// The secret that opens a gallery: 32 random bytes from a key file, or derived from a passphrase with PBKDF2-SHA256
/// (600,000 iterations, OWASP's 2023 figure) and the gallery's stored random salt. From it HKDF derives one key that
/// seals rows (AES-256-GCM), one that makes the name tags (HMAC-SHA256), so equal names are found without storing them,
/// and one from which each gallery's own key is derived with its salt (<see cref="ForGallery"/>), which seals its rows.
/// </summary>
public sealed class GalleryKey : IDisposable
{
    /// <summary>PBKDF2 iterations for a passphrase.</summary>
    public const int Iterations = 600_000;

    private const int KeyBytes = 32, NonceBytes = 12, TagBytes = 16;
    private const byte Version = 1;
    private readonly byte[] _seal, _tag, _bind;
    private readonly AesGcm _aes;

    private GalleryKey(byte[] master, string kind)
    {
        _seal = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, KeyBytes, info: Encoding.ASCII.GetBytes("shikaku-gallery seal v1"));
        _tag = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, KeyBytes, info: Encoding.ASCII.GetBytes("shikaku-gallery name tag v1"));
        _bind = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, KeyBytes, info: Encoding.ASCII.GetBytes("shikaku-gallery one gallery v1"));
        CryptographicOperations.ZeroMemory(master);
        _aes = new AesGcm(_seal, TagBytes);
        Kind = kind;
    }

    /// <summary>"key file" or "passphrase": how the key was made (stored, so that the other is refused clearly).</summary>
    public string Kind { get; }

    /// <summary>
    /// The key in <paramref name="path"/> (32 bytes, or 44 characters of base64). With <paramref name="create"/> a
    /// missing file is made with a new random key, readable by its owner only.
    /// </summary>
    public static GalleryKey FromFile(string path, bool create)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            if (!create) throw new GalleryException($"The key file {path} does not exist. Give the --key-file the gallery was made with.");
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder != null) Directory.CreateDirectory(folder);
            var fresh = RandomNumberGenerator.GetBytes(KeyBytes);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var f = new FileStream(path, options)) f.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh) + "\n"));
            return new GalleryKey(fresh, "key file");
        }
        byte[] bytes;
        try
        {
            // A regular file of at most 1 KB: a FIFO or a device is refused, never waited on.
            bytes = Shikaku.IO.SafeFile.ReadAllBytes(path, 1024, "a gallery key file");
        }
        catch (IOException e)
        {
            throw new GalleryException($"{e.Message.TrimEnd('.')}. A gallery key file holds 32 bytes (or their base64).");
        }
        if (bytes.Length == KeyBytes) return new GalleryKey(bytes, "key file");
        try
        {
            var decoded = Convert.FromBase64String(Encoding.ASCII.GetString(bytes).Trim());
            if (decoded.Length == KeyBytes) return new GalleryKey(decoded, "key file");
        }
        catch (FormatException)
        {
        }
        throw new GalleryException($"{path} is not a gallery key: it should hold 32 random bytes, or their base64 on one line.");
    }

    /// <summary>The key derived from <paramref name="passphrase"/> with the gallery's <paramref name="salt"/>.</summary>
    public static GalleryKey FromPassphrase(string passphrase, ReadOnlySpan<byte> salt)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length < 12) throw new GalleryException("The passphrase is shorter than 12 characters; choose a longer one (a few words).");
        if (salt.Length < 16) throw new GalleryException("The gallery's salt is missing or short; the gallery is damaged.");
        return new GalleryKey(Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, Iterations, HashAlgorithmName.SHA256, KeyBytes), "passphrase");
    }

    /// <summary>
    /// The key of one gallery, derived from this one and the gallery's own random <paramref name="salt"/>: rows sealed
    /// in one gallery never open in another that shares the key file, and the same name has another tag in each.
    /// </summary>
    public GalleryKey ForGallery(ReadOnlySpan<byte> salt)
    {
        ObjectDisposedException.ThrowIf(_disposed, this); // a disposed key is zeros: what it derived anyone could
        if (salt.Length < 16) throw new GalleryException("The gallery's salt is missing or short; the gallery is damaged.");
        return new GalleryKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, _bind, KeyBytes, salt.ToArray(), Encoding.ASCII.GetBytes("shikaku-gallery gallery key v1")), Kind);
    }

    /// <summary>A new random salt for a gallery.</summary>
    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(16);

    /// <summary>
    /// <paramref name="plaintext"/> sealed: a version byte, a random 96-bit nonce, the ciphertext and GCM's 128-bit tag.
    /// <paramref name="context"/> is authenticated but not stored (it binds a row to its place: a row moved elsewhere fails to open).
    /// </summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sealedBytes = new byte[1 + NonceBytes + plaintext.Length + TagBytes];
        sealedBytes[0] = Version;
        var nonce = sealedBytes.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(1 + NonceBytes, plaintext.Length), sealedBytes.AsSpan(1 + NonceBytes + plaintext.Length), Encoding.UTF8.GetBytes(context));
        return sealedBytes;
    }

    /// <summary>The plaintext of <paramref name="sealedBytes"/>, or a <see cref="GalleryException"/> naming <paramref name="what"/> when it was altered or sealed with another key.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedBytes, string context, string what)
    {
        var plaintext = new byte[Math.Max(0, sealedBytes.Length - 1 - NonceBytes - TagBytes)];
        OpenInto(sealedBytes, plaintext, Encoding.UTF8.GetBytes(context), what);
        return plaintext;
    }

    /// <summary>
    /// Opens <paramref name="sealedBytes"/> into <paramref name="plaintext"/>, which must be exactly its plaintext's length,
    /// with the context already as bytes (the search opens a million descriptors without allocating).
    /// </summary>
    public void OpenInto(ReadOnlySpan<byte> sealedBytes, Span<byte> plaintext, ReadOnlySpan<byte> context, string what)
    {
        if (sealedBytes.Length < 1 + NonceBytes + TagBytes || sealedBytes[0] != Version)
            throw new GalleryException($"{what} is not a sealed gallery value (it was altered, or written by another program).");
        if (plaintext.Length != sealedBytes.Length - 1 - NonceBytes - TagBytes)
            throw new GalleryException($"{what} holds {sealedBytes.Length - 1 - NonceBytes - TagBytes} bytes where {plaintext.Length} were expected; the gallery is damaged.");
        try
        {
            _aes.Decrypt(sealedBytes.Slice(1, NonceBytes), sealedBytes.Slice(1 + NonceBytes, plaintext.Length), sealedBytes[^TagBytes..], plaintext, context);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new GalleryException($"{what} does not open with this key: it was altered, or sealed with another key.");
        }
    }

    /// <summary>The tag of a name: equal for equal names (case and Unicode form aside), meaningless without the key.</summary>
    public byte[] NameTag(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return HMACSHA256.HashData(_tag, Encoding.UTF8.GetBytes(Normalize(name)));
    }

    /// <summary>
    /// A name as compared: trimmed, in canonical decomposed form (so "José" with one é and with e and a combining
    /// accent are one name), upper-cased, and decomposed again (an upper-case letter may have a decomposition of its own).
    /// </summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return CanonicalText.Decompose(CanonicalText.Decompose(name.Trim()).ToUpperInvariant());
    }

    private bool _disposed;

    public void Dispose()
    {
        _disposed = true;
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_seal);
        CryptographicOperations.ZeroMemory(_tag);
        CryptographicOperations.ZeroMemory(_bind);
    }
}
