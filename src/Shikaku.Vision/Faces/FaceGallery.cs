using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Faces;

/// <summary>A match against a gallery: the nearest known person, or "unknown" when nobody is close enough.</summary>
public sealed record FaceMatch(string Name, double Distance, bool Known);

/// <summary>
/// Labelled descriptors of known people (several photos per person help), searched by nearest
/// neighbour. Held in memory only; it is written nowhere.
/// </summary>
public sealed class FaceGallery
{
    /// <summary>The label given to a face whose nearest known descriptor is not closer than the threshold.</summary>
    public const string Unknown = "unknown";

    private readonly List<(string Name, float[] Descriptor)> _entries = [];

    /// <summary>The distinct names, sorted.</summary>
    public IReadOnlyList<string> People => _entries.Select(e => e.Name).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>How many descriptors the gallery holds.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds one descriptor for a person.</summary>
    public void Add(string name, float[] descriptor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.Length != 128) throw new ArgumentException($"A face descriptor has 128 numbers, got {descriptor.Length}.", nameof(descriptor));
        _entries.Add((name, descriptor));
    }

    /// <summary>
    /// Builds a gallery from <c>folder/&lt;name&gt;/*.jpg|png|...</c> (several photos per person), or from
    /// face_recognition's flat layout <c>folder/&lt;name&gt;.jpg</c>; both may be mixed. The largest face of
    /// each photo is that person. Photos without a face are reported through <paramref name="warn"/> and
    /// skipped. A photo that cannot be read is given to <paramref name="onBadImage"/> and skipped, or, without
    /// it, stops the build with its <see cref="ImageException"/>.
    /// </summary>
    public static FaceGallery FromFolder(FaceAnalyzer analyzer, string folder, FaceAnalysisOptions? options = null, Action<string>? warn = null,
        Action<string, ImageException>? onBadImage = null)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The gallery folder {folder} does not exist; it should hold one photo per person (<name>.jpg) or one subfolder of photos per person (<name>/*.jpg).");
        options = (options ?? new FaceAnalysisOptions()) with { Expressions = false, AgeGender = false, Descriptors = true };
        var photos = Directory.GetFiles(folder).Where(ImageCodec.IsImagePath).Select(f => (Name: Path.GetFileNameWithoutExtension(f), File: f))
            .Concat(Directory.GetDirectories(folder).SelectMany(d => Directory.GetFiles(d).Where(ImageCodec.IsImagePath).Select(f => (Name: Path.GetFileName(d), File: f))))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.File, StringComparer.Ordinal);
        var gallery = new FaceGallery();
        foreach (var (name, file) in photos)
        {
            Image image;
            try
            {
                image = ImageCodec.Load(file);
            }
            catch (ImageException e) when (onBadImage != null)
            {
                onBadImage(file, e);
                continue;
            }
            var faces = analyzer.Analyze(image, options);
            var face = faces.MaxBy(f => f.Detection.Box.Area);
            if (face?.Descriptor == null)
            {
                warn?.Invoke($"{file}: no face found; skipped.");
                continue;
            }
            if (faces.Count > 1) warn?.Invoke($"{file}: {faces.Count} faces; the largest is taken as {name}.");
            gallery.Add(name, face.Descriptor);
        }
        if (gallery.Count == 0)
            throw new FaceException($"No face was found in the gallery {folder}; put photos in {folder}/<name>.jpg or {folder}/<name>/ (one folder per person).");
        return gallery;
    }

    /// <summary>The nearest known person, or <see cref="Unknown"/> when the nearest is at or beyond <paramref name="threshold"/>.</summary>
    public FaceMatch Identify(ReadOnlySpan<float> descriptor, double threshold = FaceAnalyzer.DefaultThreshold)
    {
        if (_entries.Count == 0) throw new InvalidOperationException("The gallery is empty.");
        string best = Unknown;
        double bestDistance = double.PositiveInfinity;
        foreach (var (name, known) in _entries)
        {
            double d = FaceAnalyzer.Distance(descriptor, known);
            if (d < bestDistance) (best, bestDistance) = (name, d);
        }
        return bestDistance < threshold ? new FaceMatch(best, bestDistance, true) : new FaceMatch(Unknown, bestDistance, false);
    }
}
