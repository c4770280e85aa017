using Shikaku.Gallery;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;

namespace Shikaku.App;

/// <summary>
/// Where a gallery is and what opens it. <paramref name="Store"/>: a SQLite file path, or <c>postgres://user@host/db</c>;
/// null for <c>$XDG_DATA_HOME/shikaku/gallery.db</c>. <paramref name="KeyFile"/>: the key (made on the first enrolment;
/// default beside the default gallery), unless <paramref name="Passphrase"/> is given.
/// </summary>
public sealed record GalleryAccess(string? Store = null, string? KeyFile = null, string? Passphrase = null)
{
    /// <summary>Shikaku's data folder: <c>$XDG_DATA_HOME/shikaku</c>, else <c>~/.local/share/shikaku</c>.</summary>
    public static string DataFolder
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "share") : xdg, "shikaku");
        }
    }

    /// <summary>The store's location as given, or the default file.</summary>
    public string Location => Store ?? Path.Combine(DataFolder, "gallery.db");

    /// <summary>The location for messages: a PostgreSQL address without its password (or the Npgsql string's).</summary>
    public string Shown => System.Text.RegularExpressions.Regex.Replace(
        System.Text.RegularExpressions.Regex.Replace(Location, @"^(postgres(?:ql)?://[^:/@]*):[^@]*@", "$1:***@"), @"(?i)(password\s*=\s*)[^;]*", "$1***");

    /// <summary>
    /// Whether there may be a gallery there already: a SQLite file that exists, or any PostgreSQL server (whose tables
    /// are made on first use). Reading a gallery that is not there is refused before a file is created for it.
    /// </summary>
    public bool MayExist => IsPostgres || File.Exists(Location);

    /// <summary>True for a PostgreSQL store.</summary>
    public bool IsPostgres => Location.StartsWith("postgres", StringComparison.Ordinal) || Location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>The key file used when no passphrase is given.</summary>
    public string Key => KeyFile ?? Path.Combine(DataFolder, "gallery.key");
}

/// <summary>One photo of an identification: each face's box and answer.</summary>
public sealed record GalleryImageResult(string Image, IReadOnlyList<(Vision.Geometry.BoundingBox Box, GalleryMatch Match)> Faces, string? Error);

/// <summary>
/// The face gallery's use cases over <see cref="ConsentGallery"/> and face-api.js's descriptors: enrol (with a consent
/// record), list, show, forget, identify, audit. Every call opens the gallery, checks the key and purges expired
/// consents first. Photos are read for their descriptors only; no photo, crop or descriptor is written anywhere else.
/// </summary>
public sealed class GalleryUseCases(IFetchProgress fetch) : IDisposable
{
    /// <summary>
    /// The threshold calibrated on the face-api.js demo photos (tests/Shikaku.App.Tests/GalleryCalibrationTests.cs,
    /// README "The face gallery"): among the 231 pairs of their 22 different faces none is nearer than 0.45 (face-api's
    /// 0.6 matched 22 of them), while 65 of 66 altered copies of a face (mirrored, halved, JPEG quality 40) stay nearer.
    /// </summary>
    public const double DefaultThreshold = 0.45;

    /// <summary>How much nearer the best person must be than the next for a name to be given.</summary>
    public const double DefaultMargin = 0.05;

    private readonly Lock _loading = new();
    private FaceAnalyzer? _analyzer;

    private FaceAnalyzer Analyzer
    {
        get
        {
            if (_analyzer is { } ready) return ready;
            lock (_loading) return _analyzer ??= new(fetch.Run("the face models", log => Models.FaceApi.FaceApiModels.Folder(log)));
        }
    }

    private static T With<T>(GalleryAccess access, bool create, Func<ConsentGallery, T> work)
    {
        ArgumentNullException.ThrowIfNull(access);
        try
        {
            return Open(access, create, work);
        }
        catch (System.Data.Common.DbException e)
        {
            // Not a gallery file, a server gone away, a disk full: one line that says where, never a stack trace.
            throw new GalleryException($"The gallery at {access.Shown} could not be used: {e.Message.Split('\n')[0].TrimEnd('.')}.");
        }
    }

    private static T Open<T>(GalleryAccess access, bool create, Func<ConsentGallery, T> work)
    {
        if (!create && !access.MayExist)
            throw new GalleryException($"There is no gallery at {access.Shown} yet; enrol someone first (gallery enroll), or give --gallery / --store.");
        bool freshKey = create && (access.IsPostgres || !File.Exists(access.Location) || new FileInfo(access.Location).Length == 0); // before the store makes its file
        using var store = GalleryStore.Open(access.Location);
        if (access.Passphrase != null)
        {
            using var pg = ConsentGallery.OpenWithPassphrase(store, access.Passphrase, FaceAnalyzer.DescriptorModelId, create);
            return work(pg);
        }
        // A key file is made only with a new SQLite gallery (or a PostgreSQL one, whose emptiness only the server knows):
        // a mistyped --key-file for an existing gallery is an error, not a new useless key.
        using var key = GalleryKey.FromFile(access.Key, freshKey);
        using var gallery = ConsentGallery.Open(store, key, FaceAnalyzer.DescriptorModelId, create);
        return work(gallery);
    }

    /// <summary>
    /// Enrols <paramref name="name"/> from <paramref name="photos"/> (files or folders): the largest face of each photo.
    /// A photo without a face or that cannot be read is reported through <paramref name="warn"/> and skipped; with no
    /// face at all nothing is stored. Returns the person as now enrolled.
    /// </summary>
    public GalleryPerson Enroll(GalleryAccess access, string name, Consent consent, IReadOnlyList<string> photos, string command, ImageLoadOptions? load = null,
        Action<string>? warn = null)
    {
        ConsentGallery.Validate(name, consent, DateOnly.FromDateTime(DateTime.UtcNow));
        var files = OutputPolicy.Expand(photos, "gallery enroll");
        // One photo in memory at a time: a folder of large photos is read, analysed and let go one by one.
        IEnumerable<(string, Image)> Loaded()
        {
            foreach (var file in files)
            {
                Image image;
                try
                {
                    image = ImageCodec.Load(file, load ?? new ImageLoadOptions());
                }
                catch (Exception e) when (UserErrors.IsUserError(e))
                {
                    warn?.Invoke(e.Message);
                    continue;
                }
                yield return (file, image);
            }
        }
        return EnrollImages(access, name, consent, Loaded(), command, warn, files.Count);
    }

    /// <summary>Enrols <paramref name="name"/> from photos held in memory (the studio's uploads): the largest face of each.</summary>
    public GalleryPerson EnrollImages(GalleryAccess access, string name, Consent consent, IEnumerable<(string Name, Image Image)> photos, string command,
        Action<string>? warn = null, int? given = null)
    {
        ArgumentNullException.ThrowIfNull(photos);
        ConsentGallery.Validate(name, consent, DateOnly.FromDateTime(DateTime.UtcNow));
        var descriptors = new List<float[]>();
        int seen = 0;
        foreach (var (file, image) in photos)
        {
            seen++;
            var largest = Analyzer.Analyze(image, Descriptors).MaxBy(f => f.Detection.Box.Area);
            if (largest?.Descriptor == null) warn?.Invoke($"{file}: no face found; skipped.");
            else descriptors.Add(largest.Descriptor);
        }
        if (descriptors.Count == 0) throw new GalleryException($"No face was found in the {given ?? seen} photo(s) given for {name}; nothing was stored.");
        return With(access, create: true, g => g.Enroll(name, consent, descriptors, command));
    }

    private static readonly FaceAnalysisOptions Descriptors = new() { Expressions = false, AgeGender = false, Descriptors = true };

    /// <summary>Everyone enrolled.</summary>
    public IReadOnlyList<GalleryPerson> List(GalleryAccess access) => With(access, false, g => g.People());

    /// <summary>One person, or null.</summary>
    public GalleryPerson? Show(GalleryAccess access, string name) => With(access, false, g => g.Find(name));

    /// <summary>
    /// Erases a person (rows, then the store compacted) and says what happened, for the user: an error when nobody of
    /// that name is enrolled; whether their bytes have left the store's files or wait for a compaction, and why.
    /// </summary>
    public (Erasure Outcome, string Message) Forget(GalleryAccess access, string name, string command) => With(access, false, g =>
    {
        var outcome = g.Forget(name, command);
        return outcome switch
        {
            Erasure.NobodyOfThatName => throw new GalleryException($"Nobody named {name} is enrolled; nothing was erased."),
            Erasure.Erased => (outcome, $"{name}: erased (their rows are deleted and the store compacted; the audit log keeps that an erasure happened, not the name)."),
            _ => (outcome, $"{name}: erased (their rows are deleted and can never be matched), but the store could not be compacted yet: {g.CompactionProblem}. " +
                "Their sealed bytes (unreadable without the key) stay in the store's files until a gallery command run by a connection that may compact it (on PostgreSQL, the tables' owner) does it."),
        };
    });

    /// <summary>The audit log, checked: the entries, and where its chain broke if it did.</summary>
    public AuditLog Audit(GalleryAccess access) => With(access, false, g => g.Audit());

    /// <summary>
    /// Names the faces of each photo: enrolled, unexpired people within <paramref name="threshold"/> and
    /// <paramref name="margin"/> of the next; "unknown" otherwise. One audit entry per photo.
    /// </summary>
    public (List<GalleryImageResult> Images, BatchOutcome Outcome) Identify(GalleryAccess access, IReadOnlyList<string> photos, string command,
        double threshold = DefaultThreshold, double margin = DefaultMargin, ImageLoadOptions? load = null, Action<GalleryImageResult>? onImage = null)
    {
        if (!(threshold is > 0 and < 2)) throw new UsageException($"--threshold {threshold} is not a distance; give one between 0 and 2 (face-api.js: 0.6).");
        if (!(margin is >= 0 and < 1)) throw new UsageException($"--margin {margin} must lie in 0..1.");
        var files = OutputPolicy.Expand(photos, "gallery identify");
        return With(access, false, g =>
        {
            var index = g.LoadIndex();
            return Batch.ForEachImage(load ?? new ImageLoadOptions(), files, onImage, CancellationToken.None,
                (file, image) => IdentifyIn(g, index, file, image, command, threshold, margin), (file, e) => new GalleryImageResult(file, [], e.Message));
        });
    }

    /// <summary>Names the faces of one photo held in memory (the studio's upload), audited like <see cref="Identify"/>.</summary>
    public GalleryImageResult IdentifyImage(GalleryAccess access, string name, Image image, string command, double threshold = DefaultThreshold, double margin = DefaultMargin) =>
        With(access, false, g => IdentifyIn(g, g.LoadIndex(), name, image, command, threshold, margin));

    private GalleryImageResult IdentifyIn(ConsentGallery gallery, GalleryIndex index, string name, Image image, string command, double threshold, double margin)
    {
        var faces = Analyzer.Analyze(image, Descriptors);
        var matches = gallery.Identify(faces.Select(f => f.Descriptor!).ToList(), threshold, margin, command, index);
        return new GalleryImageResult(name, faces.Select((f, i) => (f.Detection.Box, matches[i])).ToList(), null);
    }

    /// <summary>The JSON of gallery identify (docs/CLI.md): per photo, each face's box and name, a distance only for a named face.</summary>
    public static object IdentifyJson(IEnumerable<GalleryImageResult> images, double threshold, double margin) => new
    {
        threshold,
        margin,
        images = images.Select(i => new
        {
            image = i.Image,
            error = i.Error,
            faces = i.Faces.Select(f => new { box = FaceJson.Box(f.Box), name = f.Match.Name, distance = f.Match.Known ? Math.Round(f.Match.Distance, 4) : (double?)null }).ToList(),
        }).ToList(),
    };

    /// <summary>The JSON of gallery audit (docs/CLI.md): the entries, whether the chain holds, and each place it broke.</summary>
    public static object AuditJson(AuditLog log) => new
    {
        intact = log.Intact,
        breaks = log.Breaks,
        entries = log.Entries.Select(e => new { id = e.Id, at = e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), action = e.Action, command = e.Command, people = e.People, faces = e.Faces }).ToList(),
    };

    /// <summary>The JSON of a person (docs/CLI.md): name, consent, how many descriptors; never the descriptors.</summary>
    public static object PersonJson(GalleryPerson p) => new
    {
        name = p.Name,
        consent = new { purpose = p.Consent.Purpose, givenBy = p.Consent.GivenBy, given = p.Consent.Given.ToString("yyyy-MM-dd"), expires = p.Consent.Expires.ToString("yyyy-MM-dd") },
        descriptors = p.Descriptors,
        enrolled = p.Enrolled.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"),
    };

    public void Dispose() => _analyzer?.Dispose();
}
