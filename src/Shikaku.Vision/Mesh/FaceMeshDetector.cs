using Shikaku.Formats;
using Shikaku.Graph;
using Shikaku.Kernels;
using Shikaku.Models.Human;
using Shikaku.Models.MediaPipe;
using Shikaku.Tensors;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Vision.Mesh;

/// <summary>The settings of <see cref="FaceMeshDetector.Detect"/>.</summary>
/// <param name="MinScore">Smallest BlazeFace score kept, and smallest face-presence score of the mesh (human's 0.2).</param>
/// <param name="IoUThreshold">Boxes overlapping more than this are one face (human's 0.1).</param>
/// <param name="MaxFaces">Most faces returned.</param>
/// <param name="Scale">How much the detector's box is enlarged before it is cropped for the mesh (human's 1.4).</param>
/// <param name="Upright">Turn each crop upright by the detector's mouth-nose line before the mesh (MediaPipe does; human leaves it off by default).</param>
/// <param name="Liveness">Also score each face with human's antispoof and liveness nets, on the mesh's crop as human feeds them.</param>
/// <param name="Iris">Run MediaPipe Iris on each eye: refine the mesh's eye and brow contours and find the irises (MediaPipe and human do by default).</param>
public sealed record FaceMeshOptions(double MinScore = 0.2, double IoUThreshold = 0.1, int MaxFaces = 20, double Scale = 1.4, bool Upright = true,
    bool Liveness = false, bool Iris = true);

/// <summary>
/// One face as MediaPipe's models see it: BlazeFace's box and 6 keypoints, then FaceMesh's 468 points in image pixels
/// (x right, y down, z in pixels of the same scale, smaller nearer the camera).
/// </summary>
/// <param name="Box">The detector's box in image pixels (before enlarging).</param>
/// <param name="DetectorScore">BlazeFace's score, 0..1.</param>
/// <param name="Keypoints">BlazeFace's 6 points: the eyes (the subject's right first), the nose tip, the mouth, the ears.</param>
/// <param name="MeshScore">FaceMesh's face-presence score, 0..1.</param>
/// <param name="Points">The 468 mesh points.</param>
/// <param name="CropAngle">Degrees the crop was turned to make the face upright (counter-clockwise in the image).</param>
public sealed record MeshFace(BoundingBox Box, double DetectorScore, IReadOnlyList<Point2D> Keypoints, double MeshScore, IReadOnlyList<Point3D> Points, double CropAngle)
{
    /// <summary>antispoof's score that the face is a real face, not a photo or a screen of one, 0..1 (with <see cref="FaceMeshOptions.Liveness"/>).</summary>
    public double? Real { get; init; }

    /// <summary>liveness's score that the face is live, not replayed, 0..1 (with <see cref="FaceMeshOptions.Liveness"/>).</summary>
    public double? Live { get; init; }

    /// <summary>
    /// The irises (with <see cref="FaceMeshOptions.Iris"/>), 10 points in MediaPipe's order for vertices 468..477: the
    /// subject's right iris (on the image's left) then the left, each its centre and then four points on its rim; the
    /// depth of each is the eyelids' around it. Null when iris was not run or the eyes were too small to crop.
    /// </summary>
    public IReadOnlyList<Point3D>? Iris { get; init; }

    /// <summary>The radius of iris <paramref name="side"/> in image pixels: the mean distance of its 4 rim points from its centre.</summary>
    public double? IrisRadius(EyeSide side)
    {
        if (Iris is not { Count: 10 } iris) return null;
        int o = side == EyeSide.Right ? 0 : 5;
        double sum = 0;
        for (int k = 1; k <= 4; k++) sum += Math.Sqrt(Math.Pow(iris[o + k].X - iris[o].X, 2) + Math.Pow(iris[o + k].Y - iris[o].Y, 2));
        return sum / 4;
    }
}

/// <summary>
/// Faces and their 468-point meshes with human-models' BlazeFace (256x256, 896 anchors) and FaceMesh (192x192) graphs
/// on Shikaku's graph runtime: the photo is padded to a centred square and resized for the detector; each face box is
/// enlarged 1.4 times, squared, turned upright and cropped to 192x192 for the mesh, whose points are mapped back to
/// the photo. Thread-safe: one detector serves many requests.
/// </summary>
/// <example><code>
/// using var mesh = new FaceMeshDetector();
/// foreach (var face in mesh.Detect(ImageCodec.Load("photo.jpg"))) Console.WriteLine(face.Points[4]); // the nose tip
/// </code></example>
public sealed class FaceMeshDetector : IDisposable
{
    private const int DetectorSize = 256, MeshSize = 192;
    private readonly TfjsGraphModel _detector, _mesh;
    private readonly GraphPlan _detectorPlan, _meshPlan;
    private readonly double[] _anchors = Anchors();
    private readonly string _folder;
    // antispoof and liveness, loaded on the first request that asks for them.
    private readonly Lazy<(TfjsGraphModel Model, GraphPlan Plan)> _antispoof, _liveness, _iris;
    private readonly Lazy<EyeLayout> _eyes;

    /// <summary>Loads BlazeFace and FaceMesh from the verified cache (fetched on first use) or from <paramref name="folder"/>.</summary>
    public FaceMeshDetector(string? folder = null, Action<string>? log = null)
    {
        folder ??= GraphModels.Folder(log);
        _folder = folder;
        _antispoof = new(() => Compiled("antispoof"), LazyThreadSafetyMode.ExecutionAndPublication);
        _liveness = new(() => Compiled("liveness"), LazyThreadSafetyMode.ExecutionAndPublication);
        _iris = new(() => Compiled("iris"), LazyThreadSafetyMode.ExecutionAndPublication);
        _eyes = new(() => EyeLayout.Load(log), LazyThreadSafetyMode.ExecutionAndPublication);
        _detector = GraphModels.Load("blazeface", folder);
        try
        {
            _mesh = GraphModels.Load("facemesh", folder);
            _detectorPlan = _detector.Compile(optimize: true);
            _meshPlan = _mesh.Compile(optimize: true);
        }
        catch
        {
            _detector.Dispose();
            _mesh?.Dispose();
            throw;
        }
    }

    private (TfjsGraphModel, GraphPlan) Compiled(string id)
    {
        var model = GraphModels.Load(id, _folder);
        try
        {
            return (model, model.Compile(optimize: true));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// human's way: the mesh's crop (0..1) resized to the net's square input (TF's bilinear without half-pixel centres),
    /// the first output value.
    /// </summary>
    private static double Score(GraphPlan plan, Tensor crop, int size)
    {
        using var input = Resample.Resize(crop, size, size, ResizeMode.BilinearAsymmetric);
        var outputs = plan.Run(input);
        try
        {
            float value = outputs[0].Span[0];
            return double.IsFinite(value) ? Math.Clamp(value, 0, 1) : throw new ModelFormatException("antispoof or liveness gave a score that is not a number.");
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
        }
    }

    // BlazeFace's anchors: a 16x16 grid (stride 16) with 2 anchors a cell, then an 8x8 grid (stride 32) with 6, centres in input pixels.
    private static double[] Anchors()
    {
        var a = new List<double>();
        foreach (var (stride, count) in new[] { (16, 2), (32, 6) })
            for (int y = 0; y < DetectorSize / stride; y++)
                for (int x = 0; x < DetectorSize / stride; x++)
                    for (int k = 0; k < count; k++)
                    {
                        a.Add(stride * (x + 0.5));
                        a.Add(stride * (y + 0.5));
                    }
        return [.. a];
    }

    /// <summary>The faces of <paramref name="image"/> with their meshes, most confident first.</summary>
    public IReadOnlyList<MeshFace> Detect(Image image, FaceMeshOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options = Checked(options);
        if (!(options.Scale is >= 1 and <= 4)) throw new ArgumentOutOfRangeException(nameof(options), options.Scale, "Scale must lie in 1..4 (human uses 1.4).");
        // Both the detector's input and each face's crop are sampled straight from the image's bytes: no float copy of
        // the whole photo (30 MB for 1920x1280) is made, or pushes the networks' weights out of the caches.
        var rgb = image.ToRgb();
        var faces = new List<MeshFace>();
        foreach (var (box, score, keypoints) in DetectBoxes(rgb, options))
            if (Mesh(rgb, box, score, keypoints, options) is { } face) faces.Add(face);
        return faces;
    }

    /// <summary>BlazeFace's faces alone (box and score, most confident first), without their meshes.</summary>
    public IReadOnlyList<(BoundingBox Box, double Score)> DetectFaces(Image image, FaceMeshOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options = Checked(options);
        return DetectBoxes(image.ToRgb(), options).Select(f => (f.Box, f.Score)).ToList();
    }

    private static FaceMeshOptions Checked(FaceMeshOptions? options)
    {
        options ??= new FaceMeshOptions();
        if (!(options.MinScore is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(options), options.MinScore, "MinScore must lie in 0..1.");
        return options;
    }

    private List<(BoundingBox Box, double Score, Point2D[] Keypoints)> DetectBoxes(Image rgb, FaceMeshOptions options)
    {
        var fit = new Letterbox(rgb.Width, rgb.Height, DetectorSize);
        using var resized = Tensor.Uninitialized(new Shape(1, DetectorSize, DetectorSize, 3));
        AffineWarp.Apply<byte>(rgb.Pixels, 1, rgb.Height, rgb.Width, 3, fit.WarpMatrix(), resized.Span, DetectorSize, DetectorSize);
        var s = resized.Span;
        for (int i = 0; i < s.Length; i++) s[i] = s[i] / 127.5f - 1f;
        var outputs = _detectorPlan.Run(resized);
        try
        {
            // The converted graph gives scores and boxes per grid: [1, 512, 1], [1, 384, 1], [1, 512, 16], [1, 384, 16].
            Tensor Find(int rows, int columns) => outputs.FirstOrDefault(o => o.Rank == 3 && o.Shape[1] == rows && o.Shape[2] == columns)
                ?? throw new ModelFormatException($"blazeface gave no [1, {rows}, {columns}] output; it is not human-models 3.0.4's.");
            var scores = new float[896];
            var raw = new float[896 * 16];
            Find(512, 1).Span.CopyTo(scores);
            Find(384, 1).Span.CopyTo(scores.AsSpan(512));
            Find(512, 16).Span.CopyTo(raw);
            Find(384, 16).Span.CopyTo(raw.AsSpan(512 * 16));
            var corners = new double[896 * 4];
            var probabilities = new double[896];
            for (int i = 0; i < 896; i++)
            {
                probabilities[i] = 1 / (1 + Math.Exp(-scores[i]));
                double cx = raw[16 * i] + _anchors[2 * i], cy = raw[16 * i + 1] + _anchors[2 * i + 1], w = raw[16 * i + 2], h = raw[16 * i + 3];
                corners[4 * i] = cx - w / 2;
                corners[4 * i + 1] = cy - h / 2;
                corners[4 * i + 2] = cx + w / 2;
                corners[4 * i + 3] = cy + h / 2;
            }
            var (kept, _) = NonMaxSuppression.Select(corners, probabilities, new NmsOptions(options.IoUThreshold, options.MinScore, options.MaxFaces));
            var (sx, sy) = fit.Scale;
            var found = new List<(BoundingBox, double, Point2D[])>();
            foreach (int i in kept)
            {
                var box = BoundingBox.FromXyxy(corners[4 * i] / sx - fit.Left, corners[4 * i + 1] / sy - fit.Top, corners[4 * i + 2] / sx - fit.Left, corners[4 * i + 3] / sy - fit.Top);
                var keypoints = new Point2D[6];
                for (int k = 0; k < 6; k++)
                    keypoints[k] = new Point2D((raw[16 * i + 4 + 2 * k] + _anchors[2 * i]) / sx - fit.Left, (raw[16 * i + 5 + 2 * k] + _anchors[2 * i + 1]) / sy - fit.Top);
                found.Add((box, probabilities[i], keypoints));
            }
            return found;
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
        }
    }

    private MeshFace? Mesh(Image rgb, BoundingBox box, double score, Point2D[] keypoints, FaceMeshOptions options)
    {
        // human's crop: the box enlarged around its centre, then squared on its longer side.
        double side = Math.Max(box.Width, box.Height) * options.Scale;
        if (!(side >= 8)) return null;
        double cx = box.X + box.Width / 2, cy = box.Y + box.Height / 2;
        // Upright, as MediaPipe's face landmark pipeline turns it: the line between the eyes (keypoints 0 -> 1) level in the crop.
        double angle = 0;
        if (options.Upright)
        {
            double ex = keypoints[1].X - keypoints[0].X, ey = keypoints[1].Y - keypoints[0].Y;
            if (ex * ex + ey * ey > 1e-6) angle = Math.Atan2(ey, ex);
        }
        double cos = Math.Cos(angle), sin = Math.Sin(angle), step = side / MeshSize;
        // Output pixel (j, i) samples the photo at centre + R ((j + 0.5) step - side / 2, (i + 0.5) step - side / 2), in
        // pixel-index coordinates (AffineWarp's pixel centres are integers, hence the -0.5).
        double u0 = 0.5 * step - side / 2;
        double[] matrix =
        [
            cos * step, -sin * step, cx - 0.5 + cos * u0 - sin * u0,
            sin * step, cos * step, cy - 0.5 + sin * u0 + cos * u0,
        ];
        using var crop = Tensor.Uninitialized(new Shape(1, MeshSize, MeshSize, 3));
        AffineWarp.Apply<byte>(rgb.Pixels, 1, rgb.Height, rgb.Width, 3, matrix, crop.Span, MeshSize, MeshSize);
        var c = crop.Span;
        for (int i = 0; i < c.Length; i++) c[i] /= 255f;
        var outputs = _meshPlan.Run(crop);
        try
        {
            var mesh = outputs.FirstOrDefault(o => o.Shape.Length == 1404)
                ?? throw new ModelFormatException("facemesh gave no 1404-value output (468 points); it is not human-models 3.0.4's.");
            var presence = outputs.FirstOrDefault(o => o.Shape.Length == 1)
                ?? throw new ModelFormatException("facemesh gave no face-presence score; it is not human-models 3.0.4's.");
            double meshScore = presence.Span[0];
            if (!(meshScore >= options.MinScore)) return null;
            var m = mesh.Span;
            var raw = new double[3 * 478];
            for (int k = 0; k < 3 * 468; k++) raw[k] = m[k];
            var frame = new CropFrame(cx, cy, cos, sin, side);
            bool iris = options.Iris && RefineEyes(rgb, raw, frame);
            var points = new Point3D[iris ? 478 : 468];
            for (int k = 0; k < points.Length; k++)
            {
                points[k] = frame.ToImage(raw[3 * k], raw[3 * k + 1], raw[3 * k + 2]);
                if (!double.IsFinite(points[k].X) || !double.IsFinite(points[k].Y) || !double.IsFinite(points[k].Z)) return null;
            }
            double? real = null, live = null;
            if (options.Liveness)
            {
                real = Score(_antispoof.Value.Plan, crop, 128);
                live = Score(_liveness.Value.Plan, crop, 32);
            }
            return new MeshFace(box, score, keypoints, meshScore, iris ? points[..468] : points, -angle * 180 / Math.PI)
            {
                Real = real, Live = live, Iris = iris ? points[468..] : null,
            };
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
        }
    }

    /// <summary>The mesh's crop: a square of <c>Side</c> image pixels about (Cx, Cy), turned by the angle whose cosine and sine are given; 192 crop units across.</summary>
    private readonly record struct CropFrame(double Cx, double Cy, double Cos, double Sin, double Side)
    {
        private double Step => Side / MeshSize;

        /// <summary>A point in crop units (0..192 across, z in the same units) in image pixels.</summary>
        public Point3D ToImage(double a, double b, double z)
        {
            double u = a * Step - Side / 2, v = b * Step - Side / 2;
            return new Point3D(Cx + Cos * u - Sin * v, Cy + Sin * u + Cos * v, z * Step);
        }

        /// <summary>
        /// AffineWarp's matrix for an n x n sample of the crop square at (a0, b0) of size s crop units, mirrored left to
        /// right when <paramref name="flip"/>: output pixel (j, i) reads the image at the point its centre covers.
        /// </summary>
        public double[] Matrix(double a0, double b0, double s, int n, bool flip)
        {
            double da = (flip ? -1 : 1) * s / n, db = s / n;
            double a = a0 + (flip ? n - 0.5 : 0.5) * s / n, b = b0 + 0.5 * s / n;
            var origin = ToImage(a, b, 0);
            double k = Step;
            return
            [
                Cos * k * da, -Sin * k * db, origin.X - 0.5,
                Sin * k * da, Cos * k * db, origin.Y - 0.5,
            ];
        }
    }

    /// <summary>
    /// MediaPipe Iris on both eyes, as MediaPipe and human run it: a square 2.3 times the corner-to-corner span, centred
    /// between the corners, sampled to 64x64 from the photo (the subject's left eye mirrored, as the net was trained on
    /// one side); the net's 71 contour points replace the mesh's eye and brow vertices (depth averaged) when the face
    /// is frontal, or only the nearer eye's lids when it is turned; its 5 iris points become vertices 468..477 with the
    /// lids' depth. <paramref name="raw"/> holds 478 points in crop units; false leaves it as it was.
    /// </summary>
    private bool RefineEyes(Image rgb, double[] raw, CropFrame frame)
    {
        const int n = 64;
        var eyes = _eyes.Value;
        var net = new (double[] Points, EyeSide Side)[2];
        foreach (var side in new[] { EyeSide.Right, EyeSide.Left })
        {
            var (outer, inner) = eyes.Corners(side);
            double ax = raw[3 * outer], ay = raw[3 * outer + 1], bx = raw[3 * inner], by = raw[3 * inner + 1];
            double s = 2.3 * Math.Max(Math.Abs(ax - bx), Math.Abs(ay - by));
            if (!(s >= 4)) return false;
            double a0 = (ax + bx) / 2 - s / 2, b0 = (ay + by) / 2 - s / 2;
            bool flip = side == EyeSide.Left;
            using var crop = Tensor.Uninitialized(new Shape(1, n, n, 3));
            AffineWarp.Apply<byte>(rgb.Pixels, 1, rgb.Height, rgb.Width, 3, frame.Matrix(a0, b0, s, n, flip), crop.Span, n, n);
            var c = crop.Span;
            for (int i = 0; i < c.Length; i++) c[i] /= 255f;
            var outputs = _iris.Value.Plan.Run(crop);
            try
            {
                var o = outputs.FirstOrDefault(t => t.Shape.Length == 3 * EyeLayout.NetPoints)
                    ?? throw new ModelFormatException($"iris gave no {3 * EyeLayout.NetPoints}-value output (76 points); it is not human-models 3.0.4's.");
                var p = new double[3 * EyeLayout.NetPoints];
                var v = o.Span;
                for (int k = 0; k < EyeLayout.NetPoints; k++)
                {
                    double x = v[3 * k], y = v[3 * k + 1], z = v[3 * k + 2];
                    if (!double.IsFinite(x) || !double.IsFinite(y) || !double.IsFinite(z)) return false;
                    p[3 * k] = a0 + (flip ? n - x : x) * s / n;
                    p[3 * k + 1] = b0 + y * s / n;
                    p[3 * k + 2] = z * s / n;
                }
                net[(int)side] = (p, side);
            }
            finally
            {
                foreach (var t in outputs) t.Dispose();
            }
        }
        // human's rule, made independent of the crop's scale: the outer corners' depth difference under 30 crop units
        // (on a typical crop, 0.375 of their distance apart: a yaw of about 20 degrees) is a frontal face. Turned further,
        // the far eye's refined lines part from the mesh, so only the nearer eye's lids are replaced.
        int left = 3 * eyes.Corners(EyeSide.Left).Outer, right = 3 * eyes.Corners(EyeSide.Right).Outer;
        double turn = raw[left + 2] - raw[right + 2], apart = Math.Sqrt(Math.Pow(raw[left] - raw[right], 2) + Math.Pow(raw[left + 1] - raw[right + 1], 2));
        foreach (var (p, side) in net)
        {
            bool frontal = Math.Abs(turn) < 0.375 * apart, nearer = side == EyeSide.Left ? turn < 0 : turn > 0;
            if (!frontal && !nearer) continue;
            foreach (string line in EyeLayout.LineNames)
            {
                if (!frontal && line is not ("EyeUpper0" or "EyeLower0")) continue;
                var vertices = eyes.MeshLine(side, line);
                var points = eyes.NetLine(line);
                for (int j = 0; j < vertices.Count; j++)
                {
                    int vtx = vertices[j], q = points[j];
                    raw[3 * vtx] = p[3 * q];
                    raw[3 * vtx + 1] = p[3 * q + 1];
                    raw[3 * vtx + 2] = (p[3 * q + 2] + raw[3 * vtx + 2]) / 2;
                }
            }
        }
        foreach (var (p, side) in net)
        {
            double upper = raw[3 * eyes.MeshLine(side, "EyeUpper0")[3] + 2], lower = raw[3 * eyes.MeshLine(side, "EyeLower0")[4] + 2];
            int first = side == EyeSide.Right ? 468 : 473;
            for (int k = 0; k < 5; k++)
            {
                int q = EyeLayout.ContourPoints + k;
                raw[3 * (first + k)] = p[3 * q];
                raw[3 * (first + k) + 1] = p[3 * q + 1];
                raw[3 * (first + k) + 2] = k == 2 ? upper : k == 4 ? lower : (upper + lower) / 2;
            }
        }
        return true;
    }

    public void Dispose()
    {
        _detector.Dispose();
        _mesh.Dispose();
        if (_antispoof.IsValueCreated) _antispoof.Value.Model.Dispose();
        if (_liveness.IsValueCreated) _liveness.Value.Model.Dispose();
        if (_iris.IsValueCreated) _iris.Value.Model.Dispose();
    }
}
