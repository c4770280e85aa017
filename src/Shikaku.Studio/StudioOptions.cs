using System.Net;
using System.Security.Cryptography;
using Shikaku.App;

namespace Shikaku.Studio;

/// <summary>How the studio listens and what it accepts.</summary>
public sealed record StudioOptions
{
    /// <summary>The address to listen on; loopback unless the user asks for another (then a token is required).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 takes a free one (the tests do).</summary>
    public int Port { get; init; } = 8737;

    /// <summary>
    /// The access token every request must carry (Authorization: Bearer, or the cookie the page sets from ?token=).
    /// Null on loopback; required, and generated if not given, on any other address.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Largest request body, in bytes (default 20 MB).</summary>
    public long MaxBodyBytes { get; init; } = 20L << 20;

    /// <summary>Largest uploaded image, in pixels, checked from its header before decoding (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>The folder whose run folders the explainer opens and where training writes (default runs/, as `shikaku train`).</summary>
    public string RunsRoot { get; init; } = "runs";

    /// <summary>The folder whose sub-folders (one sub-folder of images per class each) the training page offers as "folder:NAME".</summary>
    public string DatasetsRoot { get; init; } = "datasets";

    /// <summary>Heavy requests (models) run at once; more wait in a queue of <see cref="QueueLimit"/>, then get 429.</summary>
    public int MaxConcurrent { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Heavy requests that may wait for a slot.</summary>
    public int QueueLimit { get; init; } = 32;

    /// <summary>The face gallery the faces page enrols into and identifies against (default: the user's, under $XDG_DATA_HOME/shikaku).</summary>
    public App.GalleryAccess Gallery { get; init; } = new();

    /// <summary>True when <see cref="Host"/> is a loopback address or "localhost".</summary>
    public bool IsLoopback => Host == "localhost" || (IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Checks the settings; off loopback, a token is made if none was given.</summary>
    public StudioOptions Validated()
    {
        if (Port is < 0 or > 65535) throw new UsageException($"--port {Port} is not a port (0..65535).");
        if (Host != "localhost" && !IPAddress.TryParse(Host, out _))
            throw new UsageException($"--host '{Host}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::) or localhost.");
        if (MaxBodyBytes is < 1024 or > 1L << 30) throw new UsageException($"--max-body {MaxBodyBytes} is out of range (1 KB..1 GB).");
        if (MaxPixels < 1) throw new UsageException($"--max-pixels {MaxPixels} is out of range (at least 1).");
        if (Token is { Length: < 16 }) throw new UsageException("--token must be at least 16 characters (or leave it out and the studio makes one).");
        if (!IsLoopback && Token == null) return this with { Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant() };
        return this;
    }
}
