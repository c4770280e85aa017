using Shikaku.Kernels;
using Shikaku.Models.FaceApi;
using Shikaku.Formats;
using Shikaku.Tensors;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Faces;

/// <summary>
/// Face detection, 68 landmarks, 128-d descriptors, expressions, age and gender with face-api.js's
/// pretrained networks, computed by Shikaku's own kernels and cut exactly as face-api.js cuts its
/// crops. Networks load on first use; one analyzer is safe to use from several threads at once.
/// Nothing is written anywhere: results are returned to the caller.
/// </summary>
/// <example><code>
/// using var faces = new FaceAnalyzer();
/// foreach (var face in faces.Analyze("group.jpg"))
///     Console.WriteLine($"{face.Detection.Box} {face.TopExpression} {face.Age:0}");
/// </code></example>
public sealed class FaceAnalyzer : IDisposable
{
    /// <summary>The usual verification threshold on the Euclidean distance of two descriptors.</summary>
    public const double DefaultThreshold = 0.6;

    /// <summary>
    /// Names the network that computes <see cref="Face.Descriptor"/>: descriptors of different models
    /// cannot be compared, so every stored or printed descriptor carries this id.
    /// </summary>
    public const string DescriptorModelId = "face-api.js@1.7.15/face_recognition_model";

    private readonly Func<FaceApiModel, WeightMap> _load;
    private readonly Lazy<SsdMobilenetV1> _ssd;
    private readonly Lazy<TinyFaceDetector> _tiny;
    private readonly Lazy<FaceLandmark68Net> _landmarks;
    private readonly Lazy<FaceLandmark68Net> _landmarksTiny;
    private readonly Lazy<FaceRecognitionNet> _recognition;
    private readonly Lazy<FaceExpressionNet> _expressions;
    private readonly Lazy<AgeGenderNet> _ageGender;
    private readonly List<IDisposable> _created = [];

    /// <summary>
    /// Uses the models in <paramref name="modelFolder"/>, or fetches face-api.js 1.7.15's (pinned by
    /// SHA-256, cached) on first use; <paramref name="log"/> receives fetch progress.
    /// </summary>
    public FaceAnalyzer(string? modelFolder = null, Action<string>? log = null)
    {
        var folder = new Lazy<string>(() => modelFolder ?? FaceApiModels.Folder(log));
        _load = model => FaceApiModels.LoadWeights(model, folder.Value);
        _ssd = Net(FaceApiModel.SsdMobilenetV1, w => new SsdMobilenetV1(w));
        _tiny = Net(FaceApiModel.TinyFaceDetector, w => new TinyFaceDetector(w));
        _landmarks = Net(FaceApiModel.FaceLandmark68, w => new FaceLandmark68Net(w));
        _landmarksTiny = Net(FaceApiModel.FaceLandmark68Tiny, w => new FaceLandmark68Net(w, tiny: true));
        _recognition = Net(FaceApiModel.FaceRecognition, w => new FaceRecognitionNet(w));
        _expressions = Net(FaceApiModel.FaceExpression, w => new FaceExpressionNet(w));
        _ageGender = Net(FaceApiModel.AgeGender, w => new AgeGenderNet(w));
    }

    private Lazy<T> Net<T>(FaceApiModel model, Func<WeightMap, T> build) where T : IDisposable =>
        new(() =>
        {
            using var weights = _load(model);
            var net = build(weights);
            lock (_created) _created.Add(net);
            return net;
        }, LazyThreadSafetyMode.ExecutionAndPublication);

    // ---- detection ----

    /// <summary>The faces in an image file.</summary>
    public IReadOnlyList<FaceDetection> Detect(string path, FaceDetectorOptions? options = null) => Detect(ImageCodec.Load(path), options);

    /// <summary>The faces in an encoded image (PNG, JPEG, ...) read from a stream.</summary>
    public IReadOnlyList<FaceDetection> Detect(Stream stream, FaceDetectorOptions? options = null) => Detect(ImageCodec.Load(stream), options);

    /// <summary>The faces in an image, highest score first (SSD) or in suppression order (tiny).</summary>
    public IReadOnlyList<FaceDetection> Detect(Image image, FaceDetectorOptions? options = null)
    {
        using var pixels = Pixels(image);
        return Detect(pixels, image.Width, image.Height, options ?? new FaceDetectorOptions());
    }

    private List<FaceDetection> Detect(Tensor pixels, int width, int height, FaceDetectorOptions options)
    {
        options.Validate();
        var found = DetectWhole(pixels, width, height, options);
        int input = options.Detector == FaceDetectorKind.Tiny ? options.InputSize : SsdMobilenetV1.InputSize;
        if (!options.Tile || Math.Max(width, height) <= input / 2) return found;
        // Overlapping tiles at two scales: tiles of half the network input (seen enlarged 2x, so a 20 px face
        // becomes 40 px, which the networks find reliably) and of the full input (seen at full resolution).
        // A face smaller than a quarter tile lies whole in some tile of its scale.
        var candidates = new List<DetectedObject>(found.Select(d => new DetectedObject(0, "face", d.Score, d.Box)));
        foreach (var tile in Tiling.Tiles(width, height, [input / 2, input]))
        {
            using var crop = Resample.Crop(pixels, tile.X, tile.Y, tile.Width, tile.Height);
            foreach (var d in DetectWhole(crop, tile.Width, tile.Height, options))
                if (!Tiling.IsCut(d.Box, tile, width, height)) candidates.Add(new DetectedObject(0, "face", d.Score, d.Box.Offset(tile.X, tile.Y)));
        }
        // Merge: highest score first; drop a box that overlaps a kept one (IoU > 0.3) or lies mostly inside
        // it (a face cut by a tile border).
        return Tiling.Merge(candidates, options.MaxFaces, iouThreshold: 0.3, containment: 0.6)
            .Select(k => new FaceDetection(k.Score, k.Box.Rescale(1.0 / width, 1.0 / height), width, height)).ToList();
    }

    private List<FaceDetection> DetectWhole(Tensor pixels, int width, int height, FaceDetectorOptions options) =>
        options.Detector == FaceDetectorKind.Tiny ? DetectTiny(pixels, width, height, options) : DetectSsd(pixels, width, height, options);

    private List<FaceDetection> DetectSsd(Tensor pixels, int width, int height, FaceDetectorOptions options) =>
        SsdDecoder.Decode(_ssd.Value.Forward(pixels), width, height, SsdMobilenetV1.InputSize, options.MinScore, options.MaxFaces, iouThreshold: 0.5)
            .Select(d => new FaceDetection(d.Score, d.Box, width, height)).ToList();

    private List<FaceDetection> DetectTiny(Tensor pixels, int width, int height, FaceDetectorOptions options)
    {
        int inputSize = options.InputSize;
        using var grid = _tiny.Value.Forward(pixels, inputSize);
        var found = TinyYoloDecoder.Decode(grid.Span, grid.Shape[1], TinyFaceDetector.Anchors, width, height, inputSize, options.MinScore, iouThreshold: 0.4);
        // face-api keeps each box as a FaceDetection and reads its relativeBox back through the pixel box.
        return found.Select(d => new FaceDetection(d.Score, new FaceDetection(d.Score, d.Box, width, height).RelativeFromBox(), width, height)).ToList();
    }

    // ---- per face ----

    /// <summary>The 68 landmarks of a detected face.</summary>
    public FaceLandmarks Landmarks(Image image, FaceDetection detection, bool tiny = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detection);
        if (detection.ImageWidth != image.Width || detection.ImageHeight != image.Height)
            throw new ArgumentException($"The detection was made in a {detection.ImageWidth}x{detection.ImageHeight} image, not this {image.Width}x{image.Height} one.", nameof(detection));
        using var pixels = Pixels(image);
        return Landmarks(pixels, detection, tiny) ?? throw new ArgumentException($"The face box {detection.Box} lies outside the {image.Width}x{image.Height} image.", nameof(detection));
    }

    private FaceLandmarks? Landmarks(Tensor pixels, FaceDetection detection, bool tiny)
    {
        var region = detection.CropRegion();
        if (region.Width <= 0 || region.Height <= 0) return null;
        using var crop = Crop(pixels, region);
        int w = (int)region.Width, h = (int)region.Height;
        var relative = (tiny ? _landmarksTiny : _landmarks).Value.Forward(crop);
        // FaceLandmarks68(relative, crop size), then shiftBy(detection.box.x, y), each step as face-api does it.
        var dims = new Point2D(w, h);
        var shift = new Point2D(detection.Box.X, detection.Box.Y);
        var points = new Point2D[68];
        for (int i = 0; i < 68; i++)
        {
            var unshifted = new Point2D(relative[2 * i], relative[2 * i + 1]).Mul(dims);
            points[i] = unshifted.Div(dims).Mul(dims).Add(shift);
        }
        return new FaceLandmarks(points, w, h);
    }

    /// <summary>Everything about every face in an image file.</summary>
    public IReadOnlyList<Face> Analyze(string path, FaceAnalysisOptions? options = null) => Analyze(ImageCodec.Load(path), options);

    /// <summary>Everything about every face in an encoded image read from a stream.</summary>
    public IReadOnlyList<Face> Analyze(Stream stream, FaceAnalysisOptions? options = null) => Analyze(ImageCodec.Load(stream), options);

    /// <summary>
    /// Detects the faces, then for each: 68 landmarks; from the box around them, expressions, age and
    /// gender; from the dlib-style square between eyes and mouth, the 128-d descriptor.
    /// </summary>
    public IReadOnlyList<Face> Analyze(Image image, FaceAnalysisOptions? options = null)
    {
        options ??= new FaceAnalysisOptions();
        using var pixels = Pixels(image);
        int width = image.Width, height = image.Height;
        var faces = new List<Face>();
        foreach (var detection in Detect(pixels, width, height, options.Detection))
        {
            var landmarks = Landmarks(pixels, detection, options.TinyLandmarks);
            if (landmarks == null) continue;
            // extendWithFaceLandmarks: alignedRect = landmarks' min box (+20 %), kept as a relative FaceDetection.
            var aligned = new FaceDetection(detection.Score, landmarks.MinBoxAligned().Rescale(1.0 / width, 1.0 / height), width, height);
            var alignedRegion = aligned.CropRegion();
            var face = new Face { Detection = detection, Landmarks = landmarks, AlignedBox = aligned.Box };
            if ((options.Expressions || options.AgeGender) && alignedRegion.Width > 0 && alignedRegion.Height > 0)
            {
                using var crop = Crop(pixels, alignedRegion);
                if (options.Expressions)
                {
                    var p = _expressions.Value.Forward(crop);
                    face = face with { Expressions = FaceExpressionNet.Labels.Select((l, i) => (l, (double)p[i])).ToDictionary(e => e.l, e => e.Item2) };
                }
                if (options.AgeGender)
                {
                    var ag = _ageGender.Value.Forward(crop);
                    bool male = ag.MaleProbability > 0.5;
                    face = face with { Age = ag.Age, Gender = male ? "male" : "female", GenderProbability = male ? ag.MaleProbability : 1 - (double)ag.MaleProbability };
                }
            }
            if (options.Descriptors)
            {
                var (descriptor, box) = Describe(pixels, width, height, landmarks, options.AlignEyes);
                face = face with { Descriptor = descriptor, DescriptorBox = box };
            }
            faces.Add(face);
        }
        return faces;
    }

    /// <summary>The 128-d descriptor of a face from its landmarks.</summary>
    public float[] Encode(Image image, FaceLandmarks landmarks, bool alignEyes = false)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        using var pixels = Pixels(image);
        return Describe(pixels, image.Width, image.Height, landmarks, alignEyes).Descriptor;
    }

    private (float[] Descriptor, BoundingBox Box) Describe(Tensor pixels, int width, int height, FaceLandmarks landmarks, bool alignEyes)
    {
        var square = landmarks.DlibSquare(out var reference, out int size);
        if (alignEyes)
        {
            using var chip = RotatedChip(pixels, landmarks, reference, size);
            return (_recognition.Value.Forward(chip), square);
        }
        var region = square.ClipAtImageBorders(width, height);
        if (region.Width <= 0 || region.Height <= 0) return (new float[128], region); // face-api: an empty chip gives zeros
        using var crop = Crop(pixels, region);
        return (_recognition.Value.Forward(crop), region);
    }

    // The same square as face-api's, but cut from the image rotated about the eyes-and-mouth centre so that
    // the eye line is horizontal (bilinear; outside the image is black, as the padding is). Chip pixel
    // (u, v) has its centre at (u + 0.5, v + 0.5) - (0.5, 0.43) size from the reference point, rotated by the
    // eye-line angle; the -0.5 turns that continuous position into the warp's pixel-index coordinates.
    internal static Tensor RotatedChip(Tensor pixels, FaceLandmarks landmarks, Point2D centre, int size)
    {
        size = Math.Max(size, 1);
        double angle = landmarks.EyeLineAngle * Math.PI / 180, cos = Math.Cos(angle), sin = Math.Sin(angle);
        double ox = 0.5 - 0.5 * size, oy = 0.5 - 0.43 * size;
        double[] matrix = [cos, -sin, centre.X - 0.5 + ox * cos - oy * sin, sin, cos, centre.Y - 0.5 + ox * sin + oy * cos];
        return AffineWarp.Apply(pixels, matrix, size, size);
    }

    // ---- comparing ----

    /// <summary>Euclidean distance between two descriptors.</summary>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Descriptors differ in length ({a.Length} vs {b.Length}).");
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)(a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(sum);
    }

    /// <summary>Euclidean distance between two descriptors (the same as <see cref="Distance"/>).</summary>
    public static double Compare(float[] a, float[] b) => Distance(a, b);

    /// <summary>Each face of an image with its nearest person in <paramref name="gallery"/> (or "unknown").</summary>
    public IReadOnlyList<(Face Face, FaceMatch Match)> Identify(Image image, FaceGallery gallery, double threshold = DefaultThreshold, FaceAnalysisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        options = (options ?? new FaceAnalysisOptions()) with { Descriptors = true };
        return Analyze(image, options).Select(f => (f, gallery.Identify(f.Descriptor, threshold))).ToList();
    }

    /// <summary>Whether the largest faces of two images are the same person at the given threshold.</summary>
    public FaceVerification Verify(Image a, Image b, double threshold = DefaultThreshold, FaceAnalysisOptions? options = null)
    {
        if (!(threshold > 0)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The distance threshold must be positive, e.g. 0.6.");
        options = (options ?? new FaceAnalysisOptions()) with { Expressions = false, AgeGender = false, Descriptors = true };
        var fa = Largest(Analyze(a, options), "first");
        var fb = Largest(Analyze(b, options), "second");
        double d = Distance(fa.Descriptor, fb.Descriptor);
        return new FaceVerification(fa, fb, d, threshold, d < threshold);
    }

    private static Face Largest(IReadOnlyList<Face> faces, string which) =>
        faces.MaxBy(f => f.Detection.Box.Area) ?? throw new FaceException($"No face was found in the {which} image.");

    /// <summary>[1, H, W, 3] pixel values 0..255 of an image (gray or RGBA become RGB).</summary>
    internal static Tensor Pixels(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.ToRgb().ToTensor();
    }

    private static Tensor Crop(Tensor pixels, BoundingBox region) =>
        Resample.Crop(pixels, (int)region.X, (int)region.Y, (int)region.Width, (int)region.Height);

    public void Dispose()
    {
        lock (_created)
        {
            foreach (var net in _created) net.Dispose();
            _created.Clear();
        }
    }
}

/// <summary>The answer to "are these the same person?".</summary>
public sealed record FaceVerification(Face First, Face Second, double Distance, double Threshold, bool SamePerson);

/// <summary>A face task that cannot be done with this input (no face found, and the like).</summary>
public sealed class FaceException(string message) : ShikakuException(message);
