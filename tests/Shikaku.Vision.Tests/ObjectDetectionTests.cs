using Shikaku.Assets;
using Shikaku.Vision.Detection;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;

namespace Shikaku.Tests;

/// <summary>
/// Both COCO detectors on the real photos of Debian's darknet package: the objects a person sees there (written down
/// by looking at each photo: box corners by eye, to within a few pixels) are found with the right class.
/// </summary>
public sealed class ObjectDetectionTests
{
    private static readonly Lazy<ObjectDetector> CenterNet = new(() => new ObjectDetector("centernet"));
    private static readonly Lazy<ObjectDetector> NanoDet = new(() => new ObjectDetector("nanodet"));

    private static Image Photo(string name) => ImageCodec.Load(AssetCache.Fetch(KnownAssets.DarknetPhotos)[$"usr/share/darknet/data/{name}"]);

    public static IEnumerable<object[]> Seen() => DarknetSeen.Objects.Select(o => new object[] { o.Photo, o.Classes, o.X1, o.Y1, o.X2, o.Y2 });

    [Theory]
    [MemberData(nameof(Seen))]
    public void CenterNetFindsWhatAPersonSees(string photo, string classes, int x1, int y1, int x2, int y2) =>
        AssertFound(CenterNet.Value, photo, classes, BoundingBox.FromXyxy(x1, y1, x2, y2));

    // NanoDet's one miss here (README, Objects): it takes the grey horse of horses.jpg for a cow (0.67; horse is not among its boxes there).
    public static IEnumerable<object[]> SeenByNanoDet() => Seen().Where(row => !(row[0] is "horses.jpg" && (int)row[2] == 430));

    [Theory]
    [MemberData(nameof(SeenByNanoDet))]
    public void NanoDetFindsWhatAPersonSees(string photo, string classes, int x1, int y1, int x2, int y2) =>
        AssertFound(NanoDet.Value, photo, classes, BoundingBox.FromXyxy(x1, y1, x2, y2));

    private static void AssertFound(ObjectDetector detector, string photo, string classes, BoundingBox seen)
    {
        var found = detector.Detect(Photo(photo)).Results.Items;
        var names = classes.Split('|');
        Assert.True(found.Any(d => names.Contains(d.ClassName) && d.Box.IoU(seen) >= 0.5),
            $"{detector.Model} on {photo}: no {classes} at {seen}; found {string.Join("; ", found.Select(d => $"{d.ClassName} {d.Score:0.00} {d.Box}"))}");
    }

    [Fact]
    public void PeopleAndKitesOnTheBeachAreCounted()
    {
        var found = CenterNet.Value.Detect(Photo("kite.jpg")).Results.Items;
        Assert.True(found.Count(d => d.ClassName == "person") >= 5, string.Join("; ", found.Select(d => d.ClassName)));
        Assert.True(found.Count(d => d.ClassName == "kite") >= 3, string.Join("; ", found.Select(d => d.ClassName)));
    }

    [Fact]
    public void AClassFilterKeepsOnlyThatClassAndAMirroredPhotoGivesMirroredBoxes()
    {
        var image = Photo("dog.jpg");
        var dogs = CenterNet.Value.Detect(image, new ObjectDetectionOptions(new DetectionOptions(Classes: CocoClasses.Parse("dog")))).Results.Items;
        Assert.All(dogs, d => Assert.Equal("dog", d.ClassName));
        Assert.NotEmpty(dogs);
        var mirrored = CenterNet.Value.Detect(image.Mirror(), new ObjectDetectionOptions(new DetectionOptions(Classes: CocoClasses.Parse("dog")))).Results.Items;
        var back = mirrored[0].Box with { X = image.Width - mirrored[0].Box.Right };
        Assert.True(back.IoU(dogs[0].Box) > 0.8, $"{dogs[0].Box} vs mirrored back {back}");
    }

    [Fact]
    public void TheDetectorServesSeveralThreadsAtOnce()
    {
        var image = Photo("person.jpg");
        string Describe() => string.Join("; ", CenterNet.Value.Detect(image).Results.Items.Select(d => $"{d.ClassName} {d.Score} {d.Box}"));
        string serial = Describe();
        var parallel = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4).Select(_ => Describe()).ToList();
        Assert.All(parallel, p => Assert.Equal(serial, p));
    }
}
