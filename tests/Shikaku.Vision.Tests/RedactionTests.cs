using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Privacy;

namespace Shikaku.Vision.Tests;

/// <summary>How regions are hidden: the ellipse, its feather, and how little of the face each method keeps.</summary>
public sealed class RedactionTests
{
    private static Image Noise(int w, int h)
    {
        var random = new Random(7);
        var pixels = new byte[w * h * 3];
        random.NextBytes(pixels);
        return new Image(w, h, 3, pixels);
    }

    [Fact]
    public void APersonsHeadIsHiddenUnlessTheirOwnFaceWasFoundNotANeighboursOrAFarSmallerOne()
    {
        // Two people side by side whose boxes overlap; only the left one's face was found, at her head.
        var left = new BoundingBox(100, 100, 200, 500);
        var right = new BoundingBox(180, 110, 200, 500);
        var leftHead = FaceFinder.Head(left);
        var face = new HiddenRegion(new BoundingBox(leftHead.X + 10, leftHead.Y + 15, 70, 80), RegionSource.Ssd, 0.9);
        double cx = face.Box.Xywh.CenterX, cy = face.Box.Xywh.CenterY;
        Assert.True(cx >= right.X && cx <= right.Right && cy >= right.Y && cy <= right.Bottom, "the left face lies in the right person's box too");
        var heads = FaceFinder.HeadsWithoutFaces([(left, 0.8), (right, 0.7)], [face]).ToList();
        Assert.Equal(FaceFinder.Head(right), Assert.Single(heads).Box);
        Assert.Equal(RegionSource.Person, heads[0].Source);
        // A face a tenth of the head's size (someone far behind) does not stand for this person's either.
        var tiny = new HiddenRegion(new BoundingBox(leftHead.Xywh.CenterX - 4, leftHead.Xywh.CenterY - 4, 8, 8), RegionSource.BlazeFace, 0.6);
        Assert.Single(FaceFinder.HeadsWithoutFaces([(left, 0.8)], [tiny]));
        // One behind another, both heads near the one face found: it is the front person's (nearest their head), so
        // the head of the one behind is hidden.
        var front = new BoundingBox(100, 100, 200, 500);
        var behind = new BoundingBox(140, 80, 190, 420);
        var frontHead = FaceFinder.Head(front);
        var frontFace = new HiddenRegion(new BoundingBox(frontHead.X + 10, frontHead.Y + 10, 70, 80), RegionSource.Ssd, 0.9);
        Assert.Empty(FaceFinder.HeadsWithoutFaces([(behind, 0.6)], [frontFace])); // alone, the face would do for the one behind
        Assert.Equal(FaceFinder.Head(behind), Assert.Single(FaceFinder.HeadsWithoutFaces([(front, 0.8), (behind, 0.6)], [frontFace])).Box);
        Assert.Equal(FaceFinder.Head(behind), Assert.Single(FaceFinder.HeadsWithoutFaces([(behind, 0.6), (front, 0.8)], [frontFace])).Box);
        // Another person's guessed head is not a face.
        Assert.Single(FaceFinder.HeadsWithoutFaces([(left, 0.8)], [new HiddenRegion(leftHead, RegionSource.Person, 0.5)]));
        Assert.Empty(FaceFinder.HeadsWithoutFaces([(left, 0.8)], [face]));
    }

    [Fact]
    public void AFaceBothDetectorsFoundIsHiddenAsTheBoxAroundBothSoAnOverlappingFaceIsNotLeftHalfShown()
    {
        // Two faces offset by half a face: the SSD kept one, BlazeFace the other (each took the pair for one face).
        var ssd = new BoundingBox(100, 100, 80, 100);
        var blaze = new BoundingBox(140, 105, 80, 100);
        var regions = new List<HiddenRegion> { new(ssd, RegionSource.Ssd, 0.9) };
        FaceFinder.AddBlazeFace(regions, [(blaze, 0.8), (new BoundingBox(600, 100, 80, 100), 0.7)]);
        Assert.Equal(2, regions.Count);
        Assert.Equal((RegionSource.Ssd, BoundingBox.FromXyxy(100, 100, 220, 205)), (regions[0].Source, regions[0].Box));
        Assert.Equal(RegionSource.BlazeFace, regions[1].Source); // a face only BlazeFace found is a region of its own
        // The far side of the face BlazeFace kept (8 px inside its right edge) lies outside the SSD box's ellipse: it
        // is hidden only because the region grew to both.
        var mask = Redaction.Mask(800, 400, regions.Select(r => r.Box).ToList(), new RedactionOptions());
        var ssdOnly = Redaction.Mask(800, 400, [ssd], new RedactionOptions());
        int farSide = (int)blaze.Xywh.CenterY * 800 + (int)blaze.Right - 8;
        Assert.Equal(0, ssdOnly[farSide]);
        Assert.True(mask[farSide] >= 1, "the overlapping face's far side is wholly hidden");
    }

    [Fact]
    public void TheMaskIsWholeInsideTheEllipseFeatheredOutsideItAndZeroBeyond()
    {
        var box = new BoundingBox(40, 30, 40, 60); // centre (60, 60); scaled 1.3: semi-axes 26 and 39
        var mask = Redaction.Mask(200, 150, [box], new RedactionOptions(Scale: 1.3, Feather: 0.2));
        float At(int x, int y) => mask[y * 200 + x];
        Assert.Equal(1f, At(60, 60));
        Assert.Equal(1f, At(60 + 25, 60));       // inside the ellipse, past the box's edge
        Assert.Equal(1f, At(60, 60 - 38));
        Assert.InRange(At(60 + 28, 60), 0.01f, 0.99f); // the feather: from 26 to 31.2 px out
        Assert.Equal(0f, At(60 + 32, 60));
        Assert.Equal(0f, At(0, 0));
        // Falls steadily across the feather.
        for (int x = 60 + 26; x < 60 + 32; x++) Assert.True(At(x + 1, 60) <= At(x, 60));
    }

    [Fact]
    public void AMosaicHasAtMostSixCellsAcrossTheFaceAndSolidIsBlack()
    {
        var image = Noise(300, 300);
        var box = new BoundingBox(100, 100, 100, 100);
        var mosaic = Redaction.Hide(image, [box], new RedactionOptions(RedactionMethod.Mosaic, Feather: 0));
        // Along the centre row inside the ellipse (130 px across), count where the colour changes.
        int changes = 0;
        for (int x = 86; x < 214; x++)
            if (!mosaic.Pixels.AsSpan((150 * 300 + x) * 3, 3).SequenceEqual(mosaic.Pixels.AsSpan((150 * 300 + x + 1) * 3, 3))) changes++;
        Assert.InRange(changes, 3, Redaction.CellsAcross + 1);
        var solid = Redaction.Hide(image, [box], new RedactionOptions(RedactionMethod.Solid));
        Assert.True(solid.Pixels.AsSpan((150 * 300 + 150) * 3, 3).SequenceEqual(new byte[3]));
        // Outside every region nothing changes, and the input is not touched.
        Assert.Equal(image.Pixels[0], mosaic.Pixels[0]);
        Assert.NotSame(image.Pixels, mosaic.Pixels);
        Assert.Equal(Noise(300, 300).Pixels, image.Pixels);
    }

    [Fact]
    public void BoxesOutsideTheImageEmptyOrNotNumbersAreSkipped()
    {
        var image = Noise(64, 48);
        BoundingBox[] boxes = [new(-500, -500, 10, 10), new(10, 10, 0, 5), new(double.NaN, 3, 5, 5), new(3, 3, double.PositiveInfinity, 5), new(60, 40, 30, 30)];
        foreach (var method in Enum.GetValues<RedactionMethod>())
        {
            var hidden = Redaction.Hide(image, boxes, new RedactionOptions(method));
            Assert.Equal(image.Pixels.Length, hidden.Pixels.Length);
            Assert.Equal(image.Pixels[0], hidden.Pixels[0]); // only the corner box at (60, 40) touches the image
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Redaction.Hide(image, boxes, new RedactionOptions(Scale: 0.5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Redaction.Hide(image, boxes, new RedactionOptions(Feather: double.NaN)));
    }
}

/// <summary>FaceFinder's recall on small faces: the six demo photos shrunk and tiled into one 1920x1280 picture.</summary>
public sealed class FaceFinderTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact]
    public void EveryDemoFaceShrunkToAboutFifteenPixelsIsStillHidden()
    {
        using var analyzer = new Shikaku.Vision.Faces.FaceAnalyzer();
        const int shrink = 12, w = 1920, h = 1280;
        var canvas = new byte[w * h * 3];
        var truth = new List<BoundingBox>();
        int x = 0, y = 0, row = 0;
        for (int n = 1; n <= 6; n++)
        {
            var photo = ImageCodec.Load(Shikaku.Assets.AssetCache.Fetch(Shikaku.Assets.KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"]).ToRgb();
            var faces = analyzer.Detect(photo);
            var small = photo.Resize(photo.Width / shrink, photo.Height / shrink, Shikaku.Kernels.ResizeMode.Area);
            if (x + small.Width > w) (x, y, row) = (0, y + row, 0);
            for (int r = 0; r < small.Height; r++) Array.Copy(small.Pixels, r * small.Width * 3, canvas, ((y + r) * w + x) * 3, small.Width * 3);
            truth.AddRange(faces.Select(f => f.Box.Scale(1.0 / shrink, 1.0 / shrink).Offset(x, y)));
            (x, row) = (x + small.Width, Math.Max(row, small.Height));
        }
        var picture = new Image(w, h, 3, canvas);
        using var finder = new FaceFinder();
        int Hidden(FaceFinderOptions options)
        {
            var mask = Redaction.Mask(w, h, finder.Find(picture, options).Select(r => r.Box).ToList(), new RedactionOptions());
            // Hidden: the face's centre, and the middle of its top edge (the forehead), are inside a hidden ellipse.
            return truth.Count(t => mask[(int)t.Xywh.CenterY * w + (int)t.Xywh.CenterX] >= 1 && mask[(int)t.Y * w + (int)t.Xywh.CenterX] > 0.5);
        }
        int tiled = Hidden(new FaceFinderOptions(People: false)), whole = Hidden(new FaceFinderOptions(Tile: false, People: false));
        log.WriteLine($"{truth.Count} faces of about {truth.Average(t => t.Width):0} px: {tiled} hidden with tiles, {whole} without; face-api's defaults find {analyzer.Detect(picture).Count}");
        Assert.Equal(22, truth.Count);
        // Measured: 22 with tiles, 0 without (face-api's defaults alone find 0; at 22 px, shrunk 8 times, 5).
        Assert.Equal(22, tiled);
        Assert.True(whole < 22, "without tiles every small face was found: the test no longer shows what the tiles are for");
    }
}
