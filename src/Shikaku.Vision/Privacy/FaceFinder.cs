using Shikaku.Vision.Detection;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Mesh;

namespace Shikaku.Vision.Privacy;

/// <summary>Which finder found a region to hide.</summary>
public enum RegionSource
{
    /// <summary>face-api.js's SSD MobileNet, on the whole photo and on full-resolution tiles.</summary>
    Ssd,

    /// <summary>MediaPipe's BlazeFace, where the SSD found nothing.</summary>
    BlazeFace,

    /// <summary>The head of a person CenterNet found, where neither face detector found a face (turned away, too small, covered).</summary>
    Person,
}

/// <summary>One region to hide: its box (the face, or the guessed head of a person), who found it and how sure it was.</summary>
public sealed record HiddenRegion(BoundingBox Box, RegionSource Source, double Score);

/// <summary>The settings of <see cref="FaceFinder.Find"/>: recall before precision, as hiding a non-face costs less than missing a face.</summary>
/// <param name="MinScore">Smallest SSD score kept (face-api's default is 0.5; a lower one finds more faces, and more non-faces).</param>
/// <param name="BlazeFaceMinScore">Smallest BlazeFace score kept.</param>
/// <param name="Tile">Also search full-resolution tiles for small faces.</param>
/// <param name="People">Hide the head of every person the object detector finds without a face.</param>
/// <param name="PersonMinScore">Smallest person score kept.</param>
public sealed record FaceFinderOptions(double MinScore = 0.3, double BlazeFaceMinScore = 0.5, bool Tile = true, bool People = true, double PersonMinScore = 0.4);

/// <summary>
/// Every region of a photo that may show a face, for anonymising: face-api.js's SSD (whole photo and tiles), BlazeFace,
/// and CenterNet's people as a fallback (the top of a person's box, where no face was found). Thread-safe: the three
/// networks load on first use and serve many threads.
/// </summary>
public sealed class FaceFinder : IDisposable
{
    /// <summary>
    /// At most this many regions from each finder: no cap a crowd reaches (a cap would leave the faces beyond it
    /// shown), only a bound on memory for a photo of noise.
    /// </summary>
    public const int MaxRegions = 100_000;

    private readonly FaceAnalyzer _faces;
    private readonly Lazy<FaceMeshDetector> _blazeFace;
    private readonly Lazy<ObjectDetector> _people;

    /// <summary>Uses the verified model caches (fetched on first use), logging downloads to <paramref name="log"/>.</summary>
    public FaceFinder(Action<string>? log = null)
    {
        _faces = new FaceAnalyzer(log: log);
        _blazeFace = new(() => new FaceMeshDetector(log: log), LazyThreadSafetyMode.ExecutionAndPublication);
        _people = new(() => new ObjectDetector("centernet", log: log), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The regions to hide in <paramref name="image"/>: SSD's faces, then BlazeFace's the SSD missed, then heads of faceless people.</summary>
    public IReadOnlyList<HiddenRegion> Find(Image image, FaceFinderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new FaceFinderOptions();
        var regions = _faces.Detect(image, new FaceDetectorOptions { MinScore = options.MinScore, Tile = options.Tile, MaxFaces = MaxRegions })
            .Select(d => new HiddenRegion(d.Box, RegionSource.Ssd, d.Score)).ToList();
        AddBlazeFace(regions, _blazeFace.Value.DetectFaces(image, new FaceMeshOptions(MinScore: options.BlazeFaceMinScore, MaxFaces: MaxRegions)));
        if (options.People)
        {
            var people = _people.Value.Detect(image, new ObjectDetectionOptions(new DetectionOptions(MinScore: options.PersonMinScore, MaxDetections: MaxRegions)));
            regions.AddRange(HeadsWithoutFaces(people.Results.Items.Where(o => o.ClassId == CocoClasses.Person).Select(o => (o.Box, o.Score)), regions).ToList());
        }
        return regions;
    }

    /// <summary>
    /// Adds BlazeFace's faces to <paramref name="regions"/> (the SSD's): a face the SSD did not find as a region of its
    /// own; one it found too as the box around both. Where the two disagree (two faces overlapping, one behind the
    /// other, which each detector took for one), dropping either box would leave part of a face shown.
    /// </summary>
    public static void AddBlazeFace(List<HiddenRegion> regions, IEnumerable<(BoundingBox Box, double Score)> faces)
    {
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(faces);
        foreach (var (box, score) in faces)
        {
            int same = regions.FindIndex(r => Same(r.Box, box));
            if (same < 0)
            {
                regions.Add(new HiddenRegion(box, RegionSource.BlazeFace, score));
                continue;
            }
            var r = regions[same].Box;
            regions[same] = regions[same] with { Box = BoundingBox.FromXyxy(Math.Min(r.X, box.X), Math.Min(r.Y, box.Y), Math.Max(r.Right, box.Right), Math.Max(r.Bottom, box.Bottom)) };
        }
    }

    /// <summary>
    /// The head region of each person in <paramref name="people"/> to whom none of <paramref name="faces"/> belongs. A
    /// face belongs to at most one person: the one whose head it lies nearest, among those near whose head it lies and
    /// whose head's size it has. So in a crowd, whose boxes overlap, one face does not stand for two people (the one in
    /// front and the one behind), and a small face far behind does not stand for anyone near.
    /// </summary>
    public static IEnumerable<HiddenRegion> HeadsWithoutFaces(IEnumerable<(BoundingBox Box, double Score)> people, IReadOnlyList<HiddenRegion> faces)
    {
        ArgumentNullException.ThrowIfNull(people);
        ArgumentNullException.ThrowIfNull(faces);
        var persons = people.ToList();
        var heads = persons.Select(p => Head(p.Box)).ToList();
        var candidates = new List<(int Person, int Face, double Distance)>();
        for (int p = 0; p < persons.Count; p++)
        {
            var head = heads[p];
            // Where the head may be: the guess widened by a quarter on each side (heads lean) and reaching lower (a
            // person's box may start above the head, at raised hands); a neighbour's face a head's width away is outside.
            var near = new BoundingBox(head.X - 0.25 * head.Width, head.Y - 0.25 * head.Height, 1.5 * head.Width, 1.75 * head.Height);
            for (int f = 0; f < faces.Count; f++)
            {
                var face = faces[f];
                double cx = face.Box.Xywh.CenterX, cy = face.Box.Xywh.CenterY;
                if (face.Source == RegionSource.Person || !Contains(near, cx, cy) || face.Box.Width < 0.25 * head.Width || face.Box.Width > 2.5 * head.Width) continue;
                candidates.Add((p, f, Math.Sqrt(Square(cx - head.Xywh.CenterX) + Square(cy - head.Xywh.CenterY)) / head.Width));
            }
        }
        // Nearest pairs first, each person and each face taken once.
        var personHasFace = new bool[persons.Count];
        var faceTaken = new bool[faces.Count];
        foreach (var (p, f, _) in candidates.OrderBy(c => c.Distance))
            if (!personHasFace[p] && !faceTaken[f]) personHasFace[p] = faceTaken[f] = true;
        for (int p = 0; p < persons.Count; p++)
            if (!personHasFace[p]) yield return new HiddenRegion(heads[p], RegionSource.Person, persons[p].Score);
    }

    private static double Square(double v) => v * v;

    /// <summary>
    /// Where the head of a person boxed from the front, back or side most likely is: centred at the top, a little
    /// under half the box's width across (shoulders are about 2.5 heads wide), never more than 40 % of its height.
    /// </summary>
    public static BoundingBox Head(BoundingBox person)
    {
        double side = 0.45 * person.Width, height = Math.Min(side * 1.25, 0.4 * person.Height);
        return new BoundingBox(person.X + (person.Width - side) / 2, person.Y, side, height);
    }

    private static bool Same(BoundingBox a, BoundingBox b) =>
        a.IoU(b) > 0.3 || a.Intersection(b) > 0.6 * Math.Min(a.Area, b.Area);

    private static bool Contains(BoundingBox box, double x, double y) => x >= box.X && x <= box.Right && y >= box.Y && y <= box.Bottom;

    public void Dispose()
    {
        _faces.Dispose();
        if (_blazeFace.IsValueCreated) _blazeFace.Value.Dispose();
        if (_people.IsValueCreated) _people.Value.Dispose();
    }
}
