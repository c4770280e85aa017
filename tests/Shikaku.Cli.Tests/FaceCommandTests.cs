using System.Text.Json;
using Shikaku.Assets;
using static Shikaku.Cli.Tests.TestConsole;

namespace Shikaku.Cli.Tests;

public sealed class FaceCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"shikaku-faces-{Guid.NewGuid():N}");

    public FaceCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"];

    [Fact]
    public void Analyze_prints_a_table_and_writes_nothing_without_out()
    {
        var before = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Length;
        var (code, text) = Run("faces", "analyze", Photo(1));
        Assert.Equal(0, code);
        Assert.Contains("3 face(s)", text);
        Assert.Contains("happy", text);
        Assert.Equal(before, Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Analyze_with_out_writes_an_annotated_png_without_gps_and_json_then_refuses_to_overwrite()
    {
        string output = Path.Combine(_dir, "out");
        var (code, text) = Run("faces", "analyze", Photo(1), "--out", output);
        Assert.Equal(0, code);
        Assert.Contains("biometric", text);
        var png = Path.Combine(output, "sample1.png");
        var annotated = Shikaku.Vision.Imaging.ImageCodec.Load(png, new Shikaku.Vision.Imaging.ImageLoadOptions { KeepMetadata = true });
        Assert.Null(annotated.Exif); // the source photo carries EXIF with GPS
        Assert.NotNull(Shikaku.Vision.Imaging.ImageCodec.Load(Photo(1), new Shikaku.Vision.Imaging.ImageLoadOptions { KeepMetadata = true }).Exif);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "sample1.json")));
        var faces = json.RootElement.GetProperty("faces");
        Assert.Equal(3, faces.GetArrayLength());
        Assert.Equal(68, faces[0].GetProperty("landmarks").GetArrayLength());
        Assert.Equal(128, faces[0].GetProperty("descriptor").GetArrayLength());
        var (again, message) = Run("faces", "analyze", Photo(1), "--out", output);
        Assert.Equal(1, again);
        Assert.Contains("already exists", message);
    }

    [Fact]
    public void Count_prints_csv_with_both_detectors()
    {
        var (code, text) = Run("faces", "count", Photo(1), Photo(5));
        Assert.Equal(0, code);
        Assert.Contains("image,faces", text);
        Assert.Contains("sample1.jpg,3", text);
        Assert.Contains("sample5.jpg,5", text);
        string csv = Path.Combine(_dir, "count.csv");
        Assert.Equal(0, Run("faces", "count", Photo(2), "--detector", "tiny", "--out", csv).Code);
        Assert.Equal(["image,faces", $"{Photo(2)},1"], File.ReadAllLines(csv));
    }

    [Fact]
    public void Verify_compares_a_face_with_a_mirrored_copy_of_itself()
    {
        var photo = Shikaku.Vision.Imaging.ImageCodec.Load(Photo(2)).ToRgb();
        // Crop around the largest face and mirror it: the same person.
        var crop = photo.Crop(1350, 60, 400, 440);
        var mirrored = new byte[crop.Pixels.Length];
        for (int y = 0; y < crop.Height; y++)
            for (int x = 0; x < crop.Width; x++)
                for (int c = 0; c < 3; c++)
                    mirrored[(y * crop.Width + x) * 3 + c] = crop.Pixels[(y * crop.Width + crop.Width - 1 - x) * 3 + c];
        string a = Path.Combine(_dir, "a.png"), b = Path.Combine(_dir, "b.png");
        Shikaku.Vision.Imaging.ImageCodec.Save(crop, a);
        Shikaku.Vision.Imaging.ImageCodec.Save(new Shikaku.Vision.Imaging.Image(crop.Width, crop.Height, 3, mirrored), b);
        var (code, text) = Run("faces", "verify", a, b);
        Assert.Equal(0, code);
        Assert.Contains("same person", text);
    }

    [Fact]
    public void Identify_names_known_people_and_calls_others_unknown()
    {
        // Gallery: the first face of sample1 as "ann" (its crop), nobody else.
        var photo = Shikaku.Vision.Imaging.ImageCodec.Load(Photo(1)).ToRgb();
        Directory.CreateDirectory(Path.Combine(_dir, "people", "ann"));
        Shikaku.Vision.Imaging.ImageCodec.Save(photo.Crop(330, 280, 340, 400), Path.Combine(_dir, "people", "ann", "1.png"));
        var (code, text) = Run("faces", "identify", "--known", Path.Combine(_dir, "people"), Photo(1));
        Assert.Equal(0, code);
        Assert.Contains("ann", text);
        Assert.Contains("unknown", text);
    }

    [Theory]
    [InlineData(new[] { "faces" }, "subcommand")]
    [InlineData(new[] { "faces", "wave" }, "unknown faces subcommand")]
    [InlineData(new[] { "faces", "detect" }, "at least one image")]
    [InlineData(new[] { "faces", "detect", "no-such.jpg" }, "does not exist")]
    [InlineData(new[] { "faces", "verify", "a.jpg" }, "two images")]
    [InlineData(new[] { "faces", "identify", "x.jpg" }, "--known")]
    public void Bad_usage_is_one_clear_line(string[] args, string expected)
    {
        var (code, text) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, text);
        Assert.DoesNotContain("   at ", text);
    }

    [Theory]
    [InlineData("--detector", "yolo", "ssd (accurate) or tiny")]
    [InlineData("--min-score", "1.5", "between 0 and 1")]
    [InlineData("--input-size", "400", "multiple of 32")]
    public void Bad_options_name_the_value(string option, string value, string expected)
    {
        var (code, text) = Run("faces", "detect", Photo(1), option, value);
        Assert.Equal(2, code);
        Assert.Contains(value, text);
        Assert.Contains(expected, text);
    }
}

public sealed class AnonymizeCommandTests() : Shikaku.Testing.TempFolderTest("shikaku-anon")
{

    [Fact]
    public void One_photo_to_one_file_as_json_then_a_rerun_is_refused_and_a_missing_out_is_a_usage_error()
    {
        string photo = AssetCache.Fetch(KnownAssets.FaceApi)["package/demo/sample3.jpg"], output = Path.Combine(Root, "hidden.png");
        var (code, stdout, stderr) = RunSplit("anonymize", photo, "-o", output, "--method", "mosaic", "--no-people", "--json");
        Assert.Equal(0, code);
        using (var json = JsonDocument.Parse(stdout))
        {
            var image = json.RootElement.GetProperty("images")[0];
            Assert.Equal("written", image.GetProperty("status").GetString());
            Assert.Equal(output, image.GetProperty("output").GetString());
            Assert.Equal(4, image.GetProperty("regions").GetArrayLength()); // sample3's four faces
            Assert.All(image.GetProperty("regions").EnumerateArray(), r => Assert.NotEqual("person", r.GetProperty("source").GetString()));
        }
        Assert.Contains("No EXIF, GPS or other metadata", stderr);
        Assert.True(File.Exists(output));
        var again = RunSplit("anonymize", photo, "-o", output);
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Stderr);
        var usage = RunSplit("anonymize", photo);
        Assert.Equal(2, usage.Code);
        Assert.Contains("--out", usage.Stderr);
        var method = RunSplit("anonymize", photo, "-o", Path.Combine(Root, "x.png"), "--method", "swirl");
        Assert.Equal(2, method.Code);
        Assert.Contains("'swirl' is not a way of hiding", method.Stderr);
        // The ends of the documented ranges are values too: a hard edge, the face box itself.
        var hard = RunSplit("anonymize", photo, "-o", Path.Combine(Root, "hard.png"), "--feather", "0", "--scale", "1", "--no-people", "--no-tile");
        Assert.True(hard.Code == 0, hard.Stderr);
        var beyond = RunSplit("anonymize", photo, "-o", Path.Combine(Root, "y.png"), "--feather", "1.5");
        Assert.Equal(2, beyond.Code);
        Assert.Contains("--feather 1.5 is out of range; use a number from 0 to 1.", beyond.Stderr);
    }
}

public sealed class GalleryCommandTests() : Shikaku.Testing.TempFolderTest("shikaku-gallery-cli")
{

    private static string Photo(int n) => AssetCache.Fetch(KnownAssets.FaceApi)[$"package/demo/sample{n}.jpg"];

    [Fact]
    public void A_gallery_that_is_not_one_is_a_clear_error_and_is_left_as_it_was()
    {
        string photo = Photo(1), notAGallery = Path.Combine(Root, "photo.jpg"), key = Path.Combine(Root, "k.key");
        File.Copy(photo, notAGallery);
        File.WriteAllText(key, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var before = File.ReadAllBytes(notAGallery);
        foreach (var args in new[] { new[] { "gallery", "list" }, ["gallery", "enroll", "--name", "a", "--consent", "c", "--expires", "2099-01-01", photo] })
        {
            var (code, _, stderr) = RunSplit([.. args, "--gallery", notAGallery, "--key-file", key]);
            Assert.Equal(1, code);
            Assert.Contains("photo.jpg cannot be opened as a gallery: SQLite Error 26: 'file is not a database'", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        Assert.Equal(before, File.ReadAllBytes(notAGallery));
        var bad = RunSplit("gallery", "list", "--store", "postgres://nobody@127.0.0.1:1/none", "--key-file", key);
        Assert.Equal(1, bad.Code);
        Assert.Contains("Cannot reach the gallery at postgres://nobody@127.0.0.1:1/none", bad.Stderr);
        File.WriteAllText(key, "not a key");
        var wrongKey = RunSplit("gallery", "enroll", "--name", "a", "--consent", "c", "--expires", "2099-01-01", photo, "--gallery", Path.Combine(Root, "new.db"), "--key-file", key);
        Assert.Equal(1, wrongKey.Code);
        Assert.Contains("is not a gallery key", wrongKey.Stderr);
    }

    [Fact]
    public void Enroll_identify_forget_and_audit_name_only_the_consenting_person()
    {
        string db = Path.Combine(Root, "g.db"), key = Path.Combine(Root, "g.key");
        string[] at = ["--gallery", db, "--key-file", key];
        string blank = Path.Combine(Root, "blank.png");
        Shikaku.Vision.Imaging.ImageCodec.Save(new Shikaku.Vision.Imaging.Image(64, 64, 3, new byte[64 * 64 * 3]), blank);
        // Nothing is stored from photos without a face, and nothing without a consent record.
        var none = RunSplit(["gallery", "enroll", "--name", "nobody", "--consent", "test", "--expires", "2099-01-01", blank, .. at]);
        Assert.Equal(1, none.Code);
        Assert.Contains("nothing was stored", none.Stderr);
        Assert.Equal(2, RunSplit(["gallery", "enroll", "--name", "alice", "--expires", "2099-01-01", Photo(3), .. at]).Code);
        var enrolled = RunSplit(["gallery", "enroll", "--name", "alice", "--consent", "shown in the club newsletter", "--expires", "2099-01-01", Photo(3), blank, "--json", .. at]);
        Assert.Equal(0, enrolled.Code);
        Assert.Contains("blank.png: no face found; skipped", enrolled.Stderr);
        using (var person = JsonDocument.Parse(enrolled.Stdout))
        {
            Assert.Equal(1, person.RootElement.GetProperty("descriptors").GetInt32());
            Assert.Equal("2099-01-01", person.RootElement.GetProperty("consent").GetProperty("expires").GetString());
        }
        // sample3's largest face is alice; its other two faces and all of sample1's are nobody enrolled.
        var identified = RunSplit(["gallery", "identify", Photo(3), Photo(1), "--json", .. at]);
        Assert.Equal(0, identified.Code);
        using (var result = JsonDocument.Parse(identified.Stdout))
        {
            var names = result.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("faces").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList()).ToList();
            Assert.Equal(1, names[0].Count(n => n == "alice"));
            Assert.Equal(2, names[0].Count(n => n == "unknown"));
            Assert.All(names[1], n => Assert.Equal("unknown", n));
        }
        Assert.DoesNotContain("alice", File.ReadAllText(db, System.Text.Encoding.Latin1));
        Assert.Equal(1, RunSplit(["gallery", "identify", Photo(3), .. at[..2], "--key-file", Path.Combine(Root, "other.key")]).Code);
        // A mistyped key file for an existing gallery is an error and leaves no new key behind.
        Assert.Equal(1, RunSplit(["gallery", "enroll", "--name", "bob", "--consent", "c", "--expires", "2099-01-01", Photo(3), .. at[..2], "--key-file", Path.Combine(Root, "typo.key")]).Code);
        Assert.False(File.Exists(Path.Combine(Root, "typo.key")));
        Assert.Equal(0, RunSplit(["gallery", "forget", "alice", .. at]).Code);
        Assert.Equal(1, RunSplit(["gallery", "forget", "alice", .. at]).Code);
        using (var result = JsonDocument.Parse(RunSplit(["gallery", "identify", Photo(3), "--json", .. at]).Stdout))
            Assert.All(result.RootElement.GetProperty("images")[0].GetProperty("faces").EnumerateArray(), f => Assert.Equal("unknown", f.GetProperty("name").GetString()));
        using var audit = JsonDocument.Parse(RunSplit(["gallery", "audit", "--json", .. at]).Stdout);
        var actions = audit.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["enroll", "identify", "identify", "forget", "identify"], actions);
        Assert.True(audit.RootElement.GetProperty("intact").GetBoolean());
        Assert.DoesNotContain("alice", audit.RootElement.GetRawText());
        // Someone with the file drops a trigger and removes the second entry: audit lists the rest, names the gap, fails.
        using (var file = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            file.Open();
            using var cut = file.CreateCommand();
            cut.CommandText = "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2;";
            cut.ExecuteNonQuery();
        }
        var broken = RunSplit(["gallery", "audit", .. at]);
        Assert.Equal(1, broken.Code);
        Assert.Contains("Entry 2 is missing before entry 3", broken.Stderr);
        // Opening the gallery put the dropped trigger back, and logged that it did.
        var lines = broken.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["#1", "#3", "#4", "#5", "#6"], lines.Select(line => line.Split(' ')[0]));
        Assert.Contains("audit guard restored", lines[^1]);
    }
}

public sealed class GalleryProcessTests() : Shikaku.Testing.TempFolderTest("shikaku-gallery-proc")
{

    [Fact]
    public async Task Two_processes_enrolling_at_once_lose_nothing()
    {
        string db = Path.Combine(Root, "g.db"), key = Path.Combine(Root, "g.key");
        var photos = AssetCache.Fetch(KnownAssets.FaceApi);
        // The first enrolment makes the gallery and its key; then two processes enrol three people each, at the same time.
        Assert.Equal(0, ProcessTests.Shikaku(null, "gallery", "enroll", "--name", "first", "--consent", "test", "--expires", "2099-01-01",
            photos["package/demo/sample1.jpg"], "--gallery", db, "--key-file", key).Code);
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(p => Task.Run(() => Enumerable.Range(0, 3).Select(i =>
            ProcessTests.Shikaku(null, "gallery", "enroll", "--name", $"p{p}-{i}", "--consent", "test", "--expires", "2099-01-01",
                photos[$"package/demo/sample{2 + (p * 3 + i) % 5}.jpg"], "--gallery", db, "--key-file", key)).ToList())));
        Assert.All(runs.SelectMany(r => r), r => Assert.True(r.Code == 0, r.Stderr));
        var (code, stdout, _) = RunSplit("gallery", "list", "--json", "--gallery", db, "--key-file", key);
        Assert.Equal(0, code);
        using var list = JsonDocument.Parse(stdout);
        Assert.Equal(7, list.RootElement.GetProperty("people").GetArrayLength());
        // Seven enrolments from three processes, chained one after another: the audit's chain holds.
        using var audit = JsonDocument.Parse(RunSplit("gallery", "audit", "--json", "--gallery", db, "--key-file", key).Stdout);
        Assert.True(audit.RootElement.GetProperty("intact").GetBoolean());
        Assert.Equal(7, audit.RootElement.GetProperty("entries").EnumerateArray().Count(e => e.GetProperty("action").GetString() == "enroll"));
    }
}
