using System.Security.Cryptography;
using System.Text;
using Shikaku.Assets;
using Shikaku.Vision.Faces;
using Shikaku.Vision.Geometry;
using Shikaku.Vision.Imaging;
using Shikaku.Vision.Privacy;

using Shikaku.Testing;

namespace Shikaku.App.Tests;

/// <summary>anonymize on the six face-api.js demo photos (22 faces at face-api's settings), and on what should not be found.</summary>
public sealed class AnonymizeTests(Xunit.Abstractions.ITestOutputHelper log) : TempFolderTest("shikaku-anonymize")
{
    private static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"];

    private AnonymizeRequest Request(string folder, string output, RedactionMethod method = RedactionMethod.Blur, string? report = null) =>
        new([folder], new ImageLoadOptions(), Out: output, Redaction: new RedactionOptions(method), Report: report);

    private string DemoFolder()
    {
        string folder = Path.Combine(Root, "photos");
        Directory.CreateDirectory(folder);
        // As PNG, so that the copies are lossless too and the detail test below measures the blur, not JPEG's noise.
        for (int n = 1; n <= 6; n++) ImageCodec.Save(ImageCodec.Load(Photo(n)), Path.Combine(folder, $"sample{n}.png"));
        return folder;
    }

    // The detail a face shows: the mean difference, inside the ellipse inscribed in its box, between the face and itself
    // seen through 12 samples across (shrunk by area, enlarged bilinearly). Eyes, mouth and skin texture live there;
    // a region hidden at 6 samples across keeps almost none.
    private static double Detail(Image image, BoundingBox box)
    {
        var b = box.Clamp(image.Width, image.Height);
        int x0 = (int)b.X, y0 = (int)b.Y, w = (int)b.Width, h = (int)b.Height;
        var crop = image.Crop(x0, y0, w, h);
        var coarse = crop.Resize(12, Math.Max(1, 12 * h / w), Shikaku.Kernels.ResizeMode.Area).Resize(w, h, Shikaku.Kernels.ResizeMode.Bilinear);
        var (cx, cy, bw, bh) = box.Xywh;
        double sum = 0;
        long n = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double dx = (x0 + x + 0.5 - cx) / (bw / 2), dy = (y0 + y + 0.5 - cy) / (bh / 2);
                if (dx * dx + dy * dy > 1) continue;
                for (int k = 0; k < 3; k++) sum += Math.Abs(crop.Pixels[(y * w + x) * 3 + k] - coarse.Pixels[(y * w + x) * 3 + k]);
                n += 3;
            }
        return sum / Math.Max(n, 1);
    }

    [Fact]
    public void EveryFaceThatTiledDetectionFindsIsHiddenAndTheOriginalsAreUntouched()
    {
        string folder = DemoFolder(), output = Path.Combine(Root, "anon"), report = Path.Combine(Root, "report.csv");
        var before = Directory.GetFiles(folder).ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
        using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
        var seen = new List<AnonymizedImage>();
        var result = privacy.Anonymize(Request(folder, output, report: report), seen.Add);
        Assert.Equal(6, result.Written);
        Assert.Equal(6, seen.Count);
        using var analyzer = new FaceAnalyzer(Models.FaceApi.FaceApiModels.Folder());
        int faces = 0, hidden = 0;
        double worstDetail = 0;
        foreach (var image in result.Images)
        {
            var original = ImageCodec.Load(image.Image);
            var copy = ImageCodec.Load(image.Output!);
            var mask = Redaction.Mask(original.Width, original.Height, image.Regions.Select(r => r.Box).ToList(), new RedactionOptions());
            // What `faces detect --tile` finds: face-api's SSD at its own threshold, plus full-resolution tiles.
            foreach (var face in analyzer.Detect(original, new FaceDetectorOptions { Tile = true }))
            {
                faces++;
                var (cx, cy, w, h) = face.Box.Xywh;
                bool covered = true;
                for (int y = (int)face.Box.Y; y < face.Box.Bottom && covered; y++)
                    for (int x = (int)face.Box.X; x < face.Box.Right; x++)
                    {
                        double dx = (x + 0.5 - cx) / (w / 2), dy = (y + 0.5 - cy) / (h / 2);
                        if (dx * dx + dy * dy <= 1 && x >= 0 && y >= 0 && x < original.Width && y < original.Height && mask[y * original.Width + x] < 1)
                        {
                            covered = false;
                            break;
                        }
                    }
                if (covered) hidden++;
                else log.WriteLine($"{image.Image}: face at {face.Box} is not wholly inside a hidden region");
                // And hidden for real: the blur leaves a small fraction of the face's detail.
                double ratio = Detail(copy, face.Box) / Detail(original, face.Box);
                worstDetail = Math.Max(worstDetail, ratio);
            }
        }
        log.WriteLine($"{hidden} of {faces} faces hidden; the most detail left in a face: {worstDetail:P0} of the original's");
        Assert.Equal(22, faces);
        Assert.Equal(faces, hidden);
        // Measured: 12 % at most (the blur keeps only the face's broad shading).
        Assert.True(worstDetail < 0.2, $"a blurred face keeps {worstDetail:P0} of its detail");
        Assert.Equal(before, Directory.GetFiles(folder).ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));
        // The report: one row per photo, counts only.
        var rows = File.ReadAllLines(report);
        Assert.Equal("image,output,status,faces_ssd,faces_blazeface,people_heads,regions,shown_consented,milliseconds,error", rows[0]);
        Assert.Equal(7, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.Contains(",written,", r));

        // A second run resumes: everything is already done, nothing is rewritten.
        var stamps = Directory.GetFiles(output).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var again = privacy.Anonymize(Request(folder, output));
        Assert.Equal(6, again.Skipped);
        Assert.Equal(stamps, Directory.GetFiles(output).ToDictionary(f => f, File.GetLastWriteTimeUtc));
    }

    [Fact]
    public void NoCopyKeepsTheSourcesMetadataAndAPhotoWithoutFacesIsStillWrittenAndReported()
    {
        string folder = Path.Combine(Root, "in"), output = Path.Combine(Root, "out");
        Directory.CreateDirectory(folder);
        // sample1 carries EXIF and an ICC profile; add XMP (where a place name might be) and a JPEG comment.
        var jpeg = File.ReadAllBytes(Photo(1));
        Assert.Contains("Exif", Encoding.Latin1.GetString(jpeg));
        Assert.Contains("ICC_PROFILE", Encoding.Latin1.GetString(jpeg));
        static byte[] Segment(byte marker, string text)
        {
            var body = Encoding.ASCII.GetBytes(text);
            return [0xFF, marker, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2), .. body];
        }
        byte[] marked = [.. jpeg[..2], .. Segment(0xE1, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Secret Street 1</x:xmpmeta>"), .. Segment(0xFE, "a secret comment"), .. jpeg[2..]];
        File.WriteAllBytes(Path.Combine(folder, "marked.jpg"), marked);
        ImageCodec.Save(new Image(320, 240, 3, Enumerable.Repeat((byte)128, 320 * 240 * 3).ToArray()), Path.Combine(folder, "empty.png"));
        using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
        foreach (var method in new[] { RedactionMethod.Blur, RedactionMethod.Mosaic, RedactionMethod.Solid })
        {
            string dir = Path.Combine(output, method.ToString());
            var result = privacy.Anonymize(Request(folder, dir, method));
            Assert.Equal(2, result.Written);
            var empty = result.Images.Single(i => i.Image.EndsWith("empty.png"));
            Assert.Empty(empty.Regions);
            Assert.True(File.Exists(empty.Output));
            Assert.Contains("1 photo(s) with nothing found", result.Summary);
            string text = Encoding.Latin1.GetString(File.ReadAllBytes(result.Images.Single(i => i.Image.EndsWith("marked.jpg")).Output!));
            foreach (string trace in new[] { "Exif", "ICC_PROFILE", "ns.adobe.com", "Secret Street", "secret comment" })
                Assert.DoesNotContain(trace, text);
        }
    }

    [Fact]
    public void AnOutputThatIsAnInputOrTwoPhotosToOneFileIsRefusedBeforeAnyWork()
    {
        string folder = Path.Combine(Root, "in");
        Directory.CreateDirectory(folder);
        string photo = Path.Combine(folder, "a.jpg");
        File.Copy(Photo(3), photo);
        string before = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(photo)));
        using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
        var e = Assert.Throws<UsageException>(() => privacy.Anonymize(Request(folder, folder) with { Overwrite = true }));
        Assert.Contains("never writes over an original", e.Message);
        e = Assert.Throws<UsageException>(() => privacy.Anonymize(new AnonymizeRequest([photo], new ImageLoadOptions(), OutFile: photo, Overwrite: true)));
        Assert.Contains("never writes over an original", e.Message);
        File.Copy(Photo(3), Path.Combine(folder, "b.jpg"));
        e = Assert.Throws<UsageException>(() => privacy.Anonymize(new AnonymizeRequest([folder], new ImageLoadOptions(), OutFile: Path.Combine(Root, "x.jpg"))));
        Assert.Contains("-o names one file", e.Message);
        e = Assert.Throws<UsageException>(() => privacy.Anonymize(Request(folder, Path.Combine(Root, "o")) with { Redaction = new RedactionOptions(Scale: 9) }));
        Assert.Contains("--scale", e.Message);
        e = Assert.Throws<UsageException>(() => privacy.Anonymize(Request(folder, Path.Combine(Root, "o"), report: photo) with { Overwrite = true }));
        Assert.Contains($"--report {photo} is one of the photos or their copies", e.Message);
        Assert.Equal(before, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(photo))));
        Assert.False(Directory.Exists(Path.Combine(Root, "o")));
    }

    [Fact]
    public void AnOutFolderThatIsALinkToThePhotosIsNeitherTakenAsDoneNorWrittenOver()
    {
        if (OperatingSystem.IsWindows()) return;
        string folder = Path.Combine(Root, "photos"), link = Path.Combine(Root, "anon");
        Directory.CreateDirectory(folder);
        string photo = Path.Combine(folder, "a.jpg");
        File.Copy(Photo(3), photo);
        string before = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(photo)));
        Directory.CreateSymbolicLink(link, folder); // anon/a.jpg is photos/a.jpg under another name
        using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
        foreach (bool overwrite in new[] { false, true })
        {
            var image = privacy.Anonymize(Request(folder, link) with { Overwrite = overwrite, Finder = new FaceFinderOptions(People: false, Tile: false) }).Images.Single();
            Assert.Equal("failed", image.Status); // not "skipped" (its faces would be shown) and not written (the original would go)
            Assert.Contains("holds the very bytes of", image.Error);
            Assert.Equal(before, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(photo))));
        }
    }

    [Fact]
    public void ARunStoppedPartWayStillWritesTheReportOfWhatItDid()
    {
        string folder = Path.Combine(Root, "in");
        Directory.CreateDirectory(folder);
        foreach (var n in new[] { 1, 2, 3 }) File.Copy(Photo(n), Path.Combine(folder, $"p{n}.jpg"));
        string report = Path.Combine(Root, "report.csv");
        using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
        using var stop = new CancellationTokenSource();
        // One photo at a time; Ctrl+C after the first is done.
        Assert.ThrowsAny<OperationCanceledException>(() => privacy.Anonymize(
            Request(folder, Path.Combine(Root, "out"), report: report) with { Parallelism = 1, Finder = new FaceFinderOptions(People: false, Tile: false) },
            _ => stop.Cancel(), stop.Token));
        var rows = File.ReadAllLines(report);
        Assert.Equal(2, rows.Length); // the header and the one photo done
        Assert.Contains(",written,", rows[1]);
        Assert.True(File.Exists(rows[1].Split(',')[1]));
    }

    [Fact]
    public void AReportFieldNeverRunsAsASpreadsheetFormula()
    {
        // A photo given by a relative name from a shell glob may be called "=HYPERLINK(...).jpg": its report cell must stay text.
        Assert.Equal("'=HYPERLINK(1).jpg", Shikaku.IO.Csv.Field("=HYPERLINK(1).jpg"));
        foreach (string lead in new[] { "+", "-", "@", "\t" }) Assert.Equal("'" + lead + "x", Shikaku.IO.Csv.Field(lead + "x"));
        Assert.Equal("'=x", Shikaku.IO.Csv.Field("=x"));
        Assert.Equal("\"'-1,2\"", Shikaku.IO.Csv.Field("-1,2"));
        Assert.Equal("plain", Shikaku.IO.Csv.Field("plain"));
    }
}

/// <summary>anonymize --except gallery:consented: the consenting person stays shown, everyone else is hidden.</summary>
public sealed class AnonymizeExceptTests() : TempFolderTest("shikaku-anonymize-except")
{
    [Fact]
    public void OnlyTheFaceOfThePersonWhoConsentedStaysShown()
    {
        string photo = AssetCache.Fetch(KnownAssets.FaceApi)["package/demo/sample3.jpg"];
        var access = new GalleryAccess(In("g.db"), In("g.key"));
        using (var gallery = new GalleryUseCases(IFetchProgress.Silent))
            gallery.Enroll(access, "alice", new Gallery.Consent("shown in the club newsletter", "alice", DateOnly.FromDateTime(DateTime.UtcNow), new DateOnly(2099, 1, 1)), [photo], "gallery enroll");
        using var privacy = new PrivacyUseCases(IFetchProgress.Silent);
        var all = privacy.Anonymize(new AnonymizeRequest([photo], new ImageLoadOptions(), OutFile: In("all.png"), Finder: new FaceFinderOptions(People: false))).Images[0];
        var except = privacy.Anonymize(new AnonymizeRequest([photo], new ImageLoadOptions(), OutFile: In("except.png"), Finder: new FaceFinderOptions(People: false), Except: access)).Images[0];
        Assert.Equal(["alice"], except.Shown);
        Assert.Equal(all.Regions.Count - 1, except.Regions.Count);
        // Alice's face (the photo's largest) is as it was; the others are hidden in both copies.
        using var analyzer = new FaceAnalyzer(Models.FaceApi.FaceApiModels.Folder());
        var original = ImageCodec.Load(photo);
        var alice = analyzer.Detect(original).MaxBy(f => f.Box.Area)!.Box;
        var shown = ImageCodec.Load(except.Output!);
        int cx = (int)alice.Xywh.CenterX, cy = (int)alice.Xywh.CenterY;
        Assert.True(shown.Pixels.AsSpan((cy * shown.Width + cx) * 3, 3).SequenceEqual(original.Pixels.AsSpan((cy * original.Width + cx) * 3, 3)));
        var hidden = ImageCodec.Load(all.Output!);
        Assert.False(hidden.Pixels.AsSpan((cy * hidden.Width + cx) * 3, 3).SequenceEqual(original.Pixels.AsSpan((cy * original.Width + cx) * 3, 3)));
        using (var gallery = new GalleryUseCases(IFetchProgress.Silent))
        {
            var log = gallery.Audit(access);
            Assert.True(log.Intact, string.Join("\n", log.Breaks));
            Assert.Contains(log.Entries, a => a.Command == "anonymize --except" && a.People.Contains("alice"));
        }
    }
}
