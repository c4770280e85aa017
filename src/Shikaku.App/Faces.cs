using System.Diagnostics;
using Shikaku.Vision.Geometry;
using System.Globalization;
using Shikaku.IO;
using Shikaku.Models.MediaPipe;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Mesh;

namespace Shikaku.App;

/// <summary>
/// A faces request: the images (files or folders), the analysis, and where results go. Nothing about a
/// face is written unless <paramref name="Out"/> is given. <paramref name="Threshold"/> is for verify and
/// identify, <paramref name="Known"/> (people/&lt;name&gt;/*.jpg or people/&lt;name&gt;.jpg) for identify.
/// </summary>
public sealed record FacesRequest(IReadOnlyList<string> Inputs, FaceAnalysisOptions Options, ImageLoadOptions Load,
    string? Out = null, bool Overwrite = false, double Threshold = FaceAnalyzer.DefaultThreshold, string? Known = null);

/// <summary>
/// One image of a faces batch: its faces (with their gallery matches for identify), the time taken, what
/// was written for it (detect/analyze/identify: the path of its .png/.json without the extension; count
/// and encode: their --out file), or the reason it failed. <see cref="ToJson"/> is its entry in the batch's JSON.
/// </summary>
public sealed record FaceImageResult(string Image, int Width, int Height, IReadOnlyList<Face> Faces, double Milliseconds,
    IReadOnlyList<FaceMatch>? Matches, string? Saved, string? Error)
{
    internal object Document { get; init; } = new { };

    /// <summary>faces pose: each face's head pose, or why none follows from its landmarks (in <see cref="Faces"/>' order).</summary>
    public IReadOnlyList<(Vision.Mesh.HeadPose? Pose, string? Error)>? Poses { get; init; }

    /// <summary>The image's entry in the JSON contract (docs/CLI.md).</summary>
    public object ToJson() => Document;
}

/// <summary>A faces batch: every image's result in input order, and how the batch ended.</summary>
public sealed record FacesResult(IReadOnlyList<FaceImageResult> Images, BatchOutcome Outcome)
{
    internal object Document { get; init; } = new { };

    /// <summary>identify's gallery (null for the other verbs).</summary>
    public GalleryInfo? Gallery { get; init; }

    /// <summary>Faces in the whole batch.</summary>
    public int TotalFaces => Images.Sum(i => i.Faces.Count);

    /// <summary>The JSON contract of the verb's --json (docs/CLI.md).</summary>
    public object ToJson() => Document;
}

/// <summary>verify's answer: the largest face of each image, their distance, and whether they are one person.</summary>
public sealed record VerifyResult(string First, string Second, FaceVerification Verification, double Threshold)
{
    /// <summary>The JSON contract of faces verify --json.</summary>
    public object ToJson() => new
    {
        first = new { image = First, box = FaceJson.Box(Verification.First.Detection.Box) },
        second = new { image = Second, box = FaceJson.Box(Verification.Second.Detection.Box) },
        distance = Verification.Distance,
        threshold = Threshold,
        samePerson = Verification.SamePerson,
        descriptorModel = FaceAnalyzer.DescriptorModelId,
    };
}

/// <summary>identify's gallery: the people and faces it holds, and the photos that could not be read.</summary>
public sealed record GalleryInfo(IReadOnlyList<string> People, int Faces, int Failures);

/// <summary>The faces' JSON pieces (docs/CLI.md): boxes rounded to 0.01 px, descriptors only where asked.</summary>
public static class FaceJson
{
    /// <summary>A mesh's irises as <c>{right: {x, y, radius}, left: {...}}</c> in image pixels (the subject's sides), or null.</summary>
    public static object? Iris(MeshFace? mesh)
    {
        if (mesh?.Iris is not { Count: 10 } iris) return null;
        object One(EyeSide side, Point3D centre) => new { x = Math.Round(centre.X, 2), y = Math.Round(centre.Y, 2), radius = Math.Round(mesh.IrisRadius(side)!.Value, 2) };
        return new { right = One(EyeSide.Right, iris[0]), left = One(EyeSide.Left, iris[5]) };
    }

    public static object Box(BoundingBox b) => new { x = Math.Round(b.X, 2), y = Math.Round(b.Y, 2), width = Math.Round(b.Width, 2), height = Math.Round(b.Height, 2) };

    public static object Face(Face f, bool withDescriptor) => new
    {
        score = f.Detection.Score,
        box = Box(f.Detection.Box),
        landmarks = f.Landmarks?.Points.Select(p => new[] { Math.Round(p.X, 2), Math.Round(p.Y, 2) }),
        expressions = f.Expressions,
        age = f.Age,
        gender = f.Gender,
        genderProbability = f.GenderProbability,
        descriptor = withDescriptor ? f.Descriptor : null,
    };

    /// <summary>A head pose's JSON: angles in degrees, translation in cm (camera axes: x right, y down, z forward), the reprojection error in pixels, the 4x4 transform row by row.</summary>
    public static object? Pose(Vision.Mesh.HeadPose? p) => p == null ? null : new
    {
        yaw = Math.Round(p.Yaw, 2),
        pitch = Math.Round(p.Pitch, 2),
        roll = Math.Round(p.Roll, 2),
        translation = new { x = Math.Round(p.Translation.X, 2), y = Math.Round(p.Translation.Y, 2), z = Math.Round(p.Translation.Z, 2) },
        reprojectionError = Math.Round(p.RmsError, 3),
        transform = Rows(p.Transform),
    };

    private static double[][] Rows(System.Numerics.Matrix4x4 m) =>
    [
        [Math.Round(m.M11, 6), Math.Round(m.M12, 6), Math.Round(m.M13, 6), Math.Round(m.M14, 6)],
        [Math.Round(m.M21, 6), Math.Round(m.M22, 6), Math.Round(m.M23, 6), Math.Round(m.M24, 6)],
        [Math.Round(m.M31, 6), Math.Round(m.M32, 6), Math.Round(m.M33, 6), Math.Round(m.M34, 6)],
        [Math.Round(m.M41, 4), Math.Round(m.M42, 4), Math.Round(m.M43, 4), Math.Round(m.M44, 6)],
    ];

    /// <summary>A probability as the tables and annotations show it (two decimals).</summary>
    public static string Percent(double p) => p.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The label analyze draws beside a face: number, top expression, age, gender.</summary>
    public static string Label(Face f, int i)
    {
        var parts = new List<string> { $"{i + 1}" };
        if (f.TopExpression is { } e) parts.Add($"{e} {Percent(f.Expressions![e])}");
        if (f.Age is { } age) parts.Add($"~{age:0} y");
        if (f.Gender is { } g) parts.Add($"{g} {Percent(f.GenderProbability!.Value)}");
        return string.Join("  ", parts);
    }
}

/// <summary>
/// faces detect, analyze, verify, identify, count, encode: face-api.js's networks on Shikaku's engine.
/// Each verb checks its request (inputs, outputs) before the models are fetched; an image that cannot be
/// read or analysed is reported through <c>onImage</c> and the batch goes on.
/// </summary>
/// <example><code>
/// using var faces = new FaceUseCases(IFetchProgress.Silent);
/// var result = faces.Analyze(new FacesRequest(["photo.jpg"], new FaceAnalysisOptions(), new ImageLoadOptions()));
/// </code></example>
public sealed partial class FaceUseCases : IDisposable
{
    private readonly IFetchProgress? _fetch;
    private FaceAnalyzer? _analyzer;
    private readonly bool _owns;

    /// <summary>Use cases on the verified face-api.js models, fetched (shown through <paramref name="fetch"/>) when first needed.</summary>
    public FaceUseCases(IFetchProgress fetch)
    {
        _fetch = fetch;
        _owns = true;
    }

    /// <summary>Use cases on an analyzer the caller owns (a server shares one).</summary>
    public FaceUseCases(FaceAnalyzer analyzer) => _analyzer = analyzer;

    private readonly Lock _loading = new();

    /// <summary>The analyzer, made once: a server's first requests may arrive together.</summary>
    private FaceAnalyzer Analyzer
    {
        get
        {
            if (_analyzer is { } ready) return ready;
            lock (_loading) return _analyzer ??= new(_fetch!.Run("the face models", log => Models.FaceApi.FaceApiModels.Folder(log)));
        }
    }

    public void Dispose()
    {
        if (_owns) _analyzer?.Dispose();
        _analyzer = null;
    }

    public FacesResult Detect(FacesRequest request, Action<FaceImageResult>? onImage = null, CancellationToken cancellationToken = default) =>
        DetectOrAnalyze(request, analyze: false, onImage, cancellationToken);

    public FacesResult Analyze(FacesRequest request, Action<FaceImageResult>? onImage = null, CancellationToken cancellationToken = default) =>
        DetectOrAnalyze(request, analyze: true, onImage, cancellationToken);

    private FacesResult DetectOrAnalyze(FacesRequest request, bool analyze, Action<FaceImageResult>? onImage, CancellationToken ct)
    {
        var files = OutputPolicy.Expand(request.Inputs, "faces " + (analyze ? "analyze" : "detect"));
        string? dir = request.Out == null ? null : OutputPolicy.OutputFolder(request.Out, files, request.Overwrite, ".png", ".json");
        var (results, outcome) = ForEachImage(request.Load, files, onImage, ct, (file, image) =>
        {
            // Descriptors are biometric data: they leave the process only into a file the user named.
            var result = Examine(file, image, analyze, request.Options, withDescriptor: dir != null);
            if (dir == null) return result;
            var annotated = FaceAnnotator.Draw(image, result.Faces, analyze ? FaceJson.Label : (f, i) => $"{i + 1}: {FaceJson.Percent(f.Detection.Score)}");
            return result with { Saved = Save(annotated, result.Document, dir, file, request.Overwrite) };
        });
        return new FacesResult(results, outcome) { Document = new { images = results.Select(r => r.ToJson()).ToList() } };
    }

    /// <summary>
    /// One image a front end holds in memory (an upload): its faces and their JSON entry, as in the batch. Nothing is
    /// written, and the descriptors stay out of the JSON.
    /// </summary>
    public FaceImageResult AnalyzeImage(string name, Image image, FaceAnalysisOptions options, bool analyze = true)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        return Examine(name, image, analyze, options, withDescriptor: false);
    }

    /// <summary>
    /// The region face-api.js crops for the most confident face of <paramref name="image"/> (what its landmark,
    /// recognition, expression and age nets are given), or null when no face is found.
    /// </summary>
    public Vision.Geometry.BoundingBox? MainFaceRegion(Image image) =>
        Analyzer.Detect(image).OrderByDescending(d => d.Score).FirstOrDefault()?.CropRegion();

    private FaceImageResult Examine(string file, Image image, bool analyze, FaceAnalysisOptions options, bool withDescriptor)
    {
        options = options with { Expressions = analyze, AgeGender = analyze, Descriptors = analyze };
        var analyzer = Analyzer;
        var sw = Stopwatch.StartNew();
        IReadOnlyList<Face> faces = analyze
            ? analyzer.Analyze(image, options)
            : analyzer.Detect(image, options.Detection).Select(d => new Face { Detection = d }).ToList();
        double ms = sw.Elapsed.TotalMilliseconds;
        var document = new
        {
            image = file,
            width = image.Width,
            height = image.Height,
            detector = options.Detection.Detector.ToString().ToLowerInvariant(),
            descriptorModel = analyze ? FaceAnalyzer.DescriptorModelId : null,
            faces = faces.Select(f => FaceJson.Face(f, withDescriptor)).ToList(),
        };
        return new FaceImageResult(file, image.Width, image.Height, faces, ms, null, null, null) { Document = document };
    }

    public VerifyResult Verify(FacesRequest request)
    {
        var inputs = request.Inputs;
        if (inputs.Count != 2) throw new UsageException($"faces verify compares two images, got {inputs.Count}: ./shikaku faces verify a.jpg b.jpg");
        var files = OutputPolicy.Expand(inputs, "faces verify");
        if (files.Count != 2) throw new UsageException($"faces verify compares two images; {string.Join(" ", inputs)} hold {files.Count}.");
        return VerifyImages(files[0], ImageCodec.Load(files[0], request.Load), files[1], ImageCodec.Load(files[1], request.Load), request.Threshold, request.Options);
    }

    /// <summary>verify on two images a front end holds in memory: the largest face of each, their distance, one person or not.</summary>
    public VerifyResult VerifyImages(string firstName, Image first, string secondName, Image second, double threshold, FaceAnalysisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = Analyzer.Verify(first, second, threshold, options with { Expressions = false, AgeGender = false, Descriptors = true });
        return new VerifyResult(firstName, secondName, result, threshold);
    }

    /// <summary>
    /// Names the faces in each image after the people in <see cref="FacesRequest.Known"/>; <paramref name="onGallery"/>
    /// sees the gallery once it is built, <paramref name="warn"/> and <paramref name="onBadGalleryPhoto"/> its problems.
    /// </summary>
    public FacesResult Identify(FacesRequest request, Action<GalleryInfo>? onGallery = null, Action<FaceImageResult>? onImage = null,
        Action<string>? warn = null, Action<string>? onBadGalleryPhoto = null, CancellationToken cancellationToken = default)
    {
        string known = request.Known ?? throw new UsageException("Missing --known; for example --known people/   (people/<name>.jpg, or one subfolder of photos per person).");
        var options = request.Options with { Expressions = false, AgeGender = false, Descriptors = true };
        double threshold = request.Threshold;
        var files = OutputPolicy.Expand(request.Inputs, "faces identify");
        string? dir = request.Out == null ? null : OutputPolicy.OutputFolder(request.Out, files, request.Overwrite, ".png", ".json");
        var analyzer = Analyzer;
        int galleryFailures = 0;
        var gallery = FaceGallery.FromFolder(analyzer, known, options, warn: warn, onBadImage: (file, e) =>
        {
            galleryFailures++;
            onBadGalleryPhoto?.Invoke(e.Message);
        });
        var info = new GalleryInfo(gallery.People, gallery.Count, 0);
        onGallery?.Invoke(info);
        var (results, outcome) = ForEachImage(request.Load, files, onImage, cancellationToken, (file, image) =>
        {
            var faces = analyzer.Analyze(image, options);
            var matches = faces.Select(f => gallery.Identify(f.Descriptor, threshold)).ToList();
            var document = new
            {
                image = file,
                threshold,
                faces = faces.Select((f, i) => new { box = FaceJson.Box(f.Detection.Box), name = matches[i].Name, distance = matches[i].Distance }).ToList(),
            };
            string? saved = null;
            if (dir != null)
            {
                var annotated = FaceAnnotator.Draw(image, faces.Select(f => f with { Landmarks = null }).ToList(), (f, i) => $"{matches[i].Name} ({matches[i].Distance:0.00})");
                saved = Save(annotated, document, dir, file, request.Overwrite);
            }
            return new FaceImageResult(file, image.Width, image.Height, faces, 0, matches, saved, null) { Document = document };
        });
        return new FacesResult(results, outcome)
        {
            Gallery = info with { Failures = galleryFailures },
            Document = new { gallery = new { people = gallery.People, faces = gallery.Count }, threshold, images = results.Select(r => r.ToJson()).ToList() },
        };
    }

    /// <summary>How many faces each image holds; with <see cref="FacesRequest.Out"/>, a CSV file (image,faces) too.</summary>
    public FacesResult Count(FacesRequest request, Action<FaceImageResult>? onImage = null, CancellationToken cancellationToken = default)
    {
        string? output = request.Out == null ? null : OutputPolicy.OutputFile(request.Out, request.Overwrite, "faces.csv");
        var files = OutputPolicy.Expand(request.Inputs, "faces count");
        var analyzer = Analyzer;
        var lines = new List<string> { CsvHeader };
        var (results, outcome) = ForEachImage(request.Load, files, onImage, cancellationToken, (file, image) =>
        {
            var faces = analyzer.Detect(image, request.Options.Detection).Select(d => new Face { Detection = d }).ToList();
            lines.Add(CsvLine(file, faces.Count));
            return new FaceImageResult(file, image.Width, image.Height, faces, 0, null, output, null) { Document = new { image = file, faces = faces.Count } };
        });
        int total = results.Sum(r => r.Faces.Count);
        if (output != null) SafeFile.WriteAllText(output, string.Join('\n', lines) + "\n", request.Overwrite);
        return new FacesResult(results, outcome) { Document = new { images = results.Select(r => r.ToJson()).ToList(), total } };
    }

    /// <summary>count's CSV header.</summary>
    public const string CsvHeader = "image,faces";

    /// <summary>count's CSV line of one image, quoted when the name holds commas, quotes or line breaks.</summary>
    public static string CsvLine(string file, int faces)
    {
        return $"{Csv.Field(file)},{faces}";
    }

    /// <summary>deepface's `represent`: the 128-d descriptor of every face, written only where the user asks.</summary>
    public FacesResult Encode(FacesRequest request, Action<FaceImageResult>? onImage = null, CancellationToken cancellationToken = default)
    {
        var options = request.Options with { Expressions = false, AgeGender = false, Descriptors = true };
        string? output = request.Out == null ? null : OutputPolicy.OutputFile(request.Out, request.Overwrite, "descriptors.json");
        var files = OutputPolicy.Expand(request.Inputs, "faces encode");
        var analyzer = Analyzer;
        var (results, outcome) = ForEachImage(request.Load, files, onImage, cancellationToken, (file, image) =>
        {
            var faces = analyzer.Analyze(image, options);
            var document = new
            {
                image = file,
                faces = faces.Select(f => new { score = f.Detection.Score, box = FaceJson.Box(f.Detection.Box), descriptor = f.Descriptor }).ToList(),
            };
            return new FaceImageResult(file, image.Width, image.Height, faces, 0, null, output, null) { Document = document };
        });
        var whole = new { descriptorModel = FaceAnalyzer.DescriptorModelId, distance = "euclidean", threshold = FaceAnalyzer.DefaultThreshold, images = results.Select(r => r.ToJson()).ToList() };
        if (output != null) SafeFile.WriteAllText(output, Contract.SerializeForFile(whole), request.Overwrite);
        return new FacesResult(results, outcome) { Document = whole };
    }

    /// <summary>
    /// Each face's head pose: its 68 landmarks fitted with MediaPipe's canonical face under a pinhole camera with
    /// <paramref name="fieldOfView"/> degrees vertically (yaw, pitch, roll, translation in cm, the 4x4 transform).
    /// </summary>
    public FacesResult Pose(FacesRequest request, double fieldOfView = Vision.Mesh.PinholeCamera.DefaultVerticalFieldOfView,
        Action<FaceImageResult>? onImage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!(fieldOfView is > 1 and < 179)) throw new UsageException($"--fov {fieldOfView} is not a vertical field of view; give degrees between 1 and 179 (a phone: about 63).");
        var options = request.Options with { Expressions = false, AgeGender = false, Descriptors = false };
        var files = OutputPolicy.Expand(request.Inputs, "faces pose");
        var analyzer = Analyzer;
        var canonical = Canonical;
        var (results, outcome) = ForEachImage(request.Load, files, onImage, cancellationToken, (file, image) =>
        {
            var faces = analyzer.Analyze(image, options);
            var camera = Vision.Mesh.PinholeCamera.ForImage(image.Width, image.Height, fieldOfView);
            var poses = faces.Select(f => PoseOf(f, canonical, camera)).ToList();
            var document = new
            {
                image = file,
                width = image.Width,
                height = image.Height,
                camera = new { focal = Math.Round(camera.Focal, 2), cx = camera.Cx, cy = camera.Cy, verticalFieldOfView = fieldOfView },
                faces = faces.Select((f, i) => new { score = f.Detection.Score, box = FaceJson.Box(f.Detection.Box), pose = FaceJson.Pose(poses[i].Pose), error = poses[i].Error }).ToList(),
            };
            return new FaceImageResult(file, image.Width, image.Height, faces, 0, null, null, null) { Document = document, Poses = poses };
        });
        return new FacesResult(results, outcome) { Document = new { landmarks = "face-api.js 68", model = "MediaPipe canonical face", images = results.Select(r => r.ToJson()).ToList() } };
    }

    private static (Vision.Mesh.HeadPose? Pose, string? Error) PoseOf(Face face, Models.MediaPipe.CanonicalFace canonical, Vision.Mesh.PinholeCamera camera)
    {
        try
        {
            return face.Landmarks is { } landmarks ? (Vision.Mesh.FacePose.From68(landmarks, canonical, camera), null) : (null, "The face has no landmarks.");
        }
        catch (Vision.Mesh.PoseException e)
        {
            return (null, e.Message);
        }
    }

    private Models.MediaPipe.CanonicalFace? _canonical;

    /// <summary>MediaPipe's canonical face, fetched and read once.</summary>
    private Models.MediaPipe.CanonicalFace Canonical
    {
        get
        {
            if (_canonical is { } ready) return ready;
            lock (_loading) return _canonical ??= (_fetch ?? IFetchProgress.Silent).Run("the canonical face", log => Models.MediaPipe.CanonicalFace.Load(log));
        }
    }

    /// <summary>The annotated PNG and the JSON of one image (no EXIF/GPS); returns the path without extension.</summary>
    private static string Save(Image annotated, object json, string dir, string file, bool overwrite)
    {
        string stem = Path.Combine(dir, Path.GetFileNameWithoutExtension(file));
        ImageCodec.Save(annotated, stem + ".png", new ImageSaveOptions { Overwrite = overwrite });
        SafeFile.WriteAllText(stem + ".json", Contract.SerializeForFile(json), overwrite);
        return stem;
    }

    private static (List<FaceImageResult>, BatchOutcome) ForEachImage(ImageLoadOptions load, List<string> files, Action<FaceImageResult>? onImage,
        CancellationToken ct, Func<string, Image, FaceImageResult> work) =>
        Batch.ForEachImage(load, files, onImage, ct, work,
            (file, e) => new FaceImageResult(file, 0, 0, [], 0, null, null, e.Message) { Document = new { image = file, error = e.Message } });
}
