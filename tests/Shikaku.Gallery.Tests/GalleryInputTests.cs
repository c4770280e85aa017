namespace Shikaku.Gallery.Tests;

/// <summary>What a user can get wrong before any row is read: the PostgreSQL address, the key file, the passphrase.</summary>
public sealed class GalleryInputTests : Testing.TempFolderTest
{
    public GalleryInputTests() : base("shikaku-gallery-input") { }

    [Fact]
    public void APostgresAddressBecomesAConnectionStringOrAClearError()
    {
        var s = new Npgsql.NpgsqlConnectionStringBuilder(PostgresGalleryStore.FromUri("postgres://ann:s%40cret@db.local:6543/faces?search_path=club"));
        Assert.Equal(("db.local", 6543, "faces", "ann", "s@cret", "club"), (s.Host, s.Port, s.Database, s.Username, s.Password, s.SearchPath));
        Assert.Equal(5432, new Npgsql.NpgsqlConnectionStringBuilder(PostgresGalleryStore.FromUri("postgresql://db.local/faces")).Port);
        Assert.Contains("names no database", Assert.Throws<GalleryException>(() => PostgresGalleryStore.FromUri("postgres://db.local")).Message);
        Assert.Contains("not a PostgreSQL address", Assert.Throws<GalleryException>(() => PostgresGalleryStore.FromUri("postgres://")).Message);
        Assert.Contains("'timeout' is not known", Assert.Throws<GalleryException>(() => PostgresGalleryStore.FromUri("postgres://h/d?timeout=3")).Message);
    }

    [Theory]
    [InlineData("Jos\u00e9", "Jose\u0301")] // é as one character, or e and a combining acute
    [InlineData("\u00c5ngstr\u00f6m", "\u212Bngstro\u0308m")] // Å, or the Angstrom sign
    [InlineData("A\u030angstr\u00f6m", "\u00e5ngstr\u00f6m")] // and case aside
    [InlineData("\ud55c\uad6d", "\u1112\u1161\u11ab\u1100\u116e\u11a8")] // Hangul syllables, or their letters
    [InlineData("\u1e69", "s\u0307\u0323")] // marks in either order: below before above
    [InlineData("Nguy\u1ec5n", "nguye\u0302\u0303n")]
    public void NamesThatUnicodeCallsTheSameTextAreOneName(string typed, string typedAnotherWay)
    {
        using var key = GalleryKey.FromFile(In("n.key"), create: true);
        Assert.Equal(key.NameTag(typed), key.NameTag(typedAnotherWay));
        Assert.Equal(GalleryKey.Normalize(typed), GalleryKey.Normalize(typedAnotherWay));
    }

    [Theory]
    [InlineData("Jose", "Jos\u00e9")]
    [InlineData("Zoe", "Zo\u00eb")]
    [InlineData("\u1e69", "s\u0307")]
    public void NamesThatDifferByAMarkAreTwoNames(string one, string other)
    {
        using var key = GalleryKey.FromFile(In("n.key"), create: true);
        Assert.NotEqual(key.NameTag(one), key.NameTag(other));
    }

    [Fact]
    public void TheCanonicalDecompositionIsCompleteOrderedAndStableForEveryCodePoint()
    {
        Assert.Equal("A\u030a", CanonicalText.Decompose("\u212b"));
        Assert.Equal("s\u0323\u0307", CanonicalText.Decompose("\u1e69"));
        Assert.Equal("\u1112\u1161\u11ab", CanonicalText.Decompose("\ud55c"));
        Assert.Equal("\ud834\udd57\ud834\udd65", CanonicalText.Decompose("\ud834\udd5e")); // a musical note, outside the BMP
        int decomposed = 0;
        for (int cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            string once = CanonicalText.Decompose(char.ConvertFromUtf32(cp));
            if (once != char.ConvertFromUtf32(cp)) decomposed++;
            Assert.Equal(once, CanonicalText.Decompose(once));
            int previous = 0;
            foreach (var rune in once.EnumerateRunes())
            {
                int cc = CanonicalText.ClassOf(rune.Value);
                Assert.True(cc == 0 || cc >= previous, $"U+{cp:X4}: the marks of its decomposition are out of order");
                previous = cc;
            }
        }
        // Unicode 14.0 has 2,061 canonical decompositions and 11,172 Hangul syllables (Python's unicodedata agrees): a
        // table cut short changes the count; a decomposition stopped a step early fails the stability check above.
        Assert.Equal("14.0.0", CanonicalText.UnicodeVersion);
        Assert.Equal(2061 + 11172, decomposed);
    }

    [Fact]
    public void AKeyFileIsThirtyTwoBytesOrTheirBase64AndANewOneIsTheOwnersOnly()
    {
        string path = In("new.key");
        using (GalleryKey.FromFile(path, create: true)) { }
        Assert.Equal(45, new FileInfo(path).Length); // 44 characters of base64 and a newline
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using (var a = GalleryKey.FromFile(path, create: false))
        using (var b = GalleryKey.FromFile(path, create: false))
            Assert.Equal(a.NameTag("Alice"), b.NameTag(" alice "));
        Assert.Contains("does not exist", Assert.Throws<GalleryException>(() => GalleryKey.FromFile(In("missing.key"), create: false)).Message);
        File.WriteAllBytes(In("short.key"), new byte[31]);
        Assert.Contains("is not a gallery key", Assert.Throws<GalleryException>(() => GalleryKey.FromFile(In("short.key"), create: false)).Message);
        File.WriteAllBytes(In("big.key"), new byte[4096]);
        Assert.Contains("4,096 bytes", Assert.Throws<GalleryException>(() => GalleryKey.FromFile(In("big.key"), create: false)).Message);
        Assert.Contains("shorter than 12", Assert.Throws<GalleryException>(() => GalleryKey.FromPassphrase("short", GalleryKey.NewSalt())).Message);
    }

    [Fact]
    public void AGalleryFileThatIsNotOneIsAClearErrorAndIsLeftAsItWas()
    {
        using var key = GalleryKey.FromFile(In("g.key"), create: true);
        const string model = "face-api.js@1.7.15/face_recognition_model";
        // Random bytes: not a database.
        var noise = new byte[8192];
        new Random(3).NextBytes(noise);
        File.WriteAllBytes(In("noise.db"), noise);
        var e = Assert.ThrowsAny<ShikakuException>(() =>
        {
            using var store = GalleryStore.Open(In("noise.db"));
            using var gallery = ConsentGallery.Open(store, key, model, create: true);
        });
        Assert.Contains("noise.db", e.Message);
        Assert.Equal(noise, File.ReadAllBytes(In("noise.db")));
        // Another program's SQLite database: no gallery is put into it.
        using (var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={In("app.db")};Pooling=False"))
        {
            other.Open();
            using var create = other.CreateCommand();
            create.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ann');";
            create.ExecuteNonQuery();
        }
        var before = File.ReadAllBytes(In("app.db"));
        using (var store = GalleryStore.Open(In("app.db")))
            Assert.Contains("database of something else (its tables: customers)", Assert.Throws<GalleryException>(() => ConsentGallery.Open(store, key, model, create: true)).Message);
        Assert.Equal(before, File.ReadAllBytes(In("app.db")));
        // A named pipe, as the gallery or as the key: refused at once, never waited on.
        if (OperatingSystem.IsWindows()) return;
        foreach (var fifo in new[] { In("pipe.db"), In("pipe.key") })
            using (var p = System.Diagnostics.Process.Start("mkfifo", fifo)) p.WaitForExit();
        Assert.Contains("named pipe", Assert.Throws<GalleryException>(() => GalleryStore.Open(In("pipe.db"))).Message);
        Assert.Contains("named pipe", Assert.Throws<GalleryException>(() => GalleryKey.FromFile(In("pipe.key"), create: false)).Message);
    }

    [Fact]
    public void ASealedValueOpensOnlyInItsOwnPlaceWithItsOwnKey()
    {
        using var key = GalleryKey.FromFile(In("a.key"), create: true);
        using var other = GalleryKey.FromFile(In("b.key"), create: true);
        var sealedBytes = key.Seal("secret"u8, "person:1");
        Assert.Equal("secret", System.Text.Encoding.UTF8.GetString(key.Open(sealedBytes, "person:1", "row")));
        Assert.Throws<GalleryException>(() => key.Open(sealedBytes, "person:2", "row"));
        Assert.Throws<GalleryException>(() => other.Open(sealedBytes, "person:1", "row"));
        Assert.Throws<GalleryException>(() => key.Open(sealedBytes.AsSpan(0, 10), "person:1", "row"));
        // Two seals of one value differ (a fresh nonce each time).
        Assert.NotEqual(sealedBytes, key.Seal("secret"u8, "person:1"));
        // Two galleries that share the key file each have their own key: a row copied from one does not open in the
        // other, and a name has another tag in each.
        using var galleryA = key.ForGallery(GalleryKey.NewSalt());
        using var galleryB = key.ForGallery(GalleryKey.NewSalt());
        Assert.Throws<GalleryException>(() => galleryB.Open(galleryA.Seal("secret"u8, "person:1"), "person:1", "row"));
        Assert.Throws<GalleryException>(() => key.Open(galleryA.Seal("secret"u8, "person:1"), "person:1", "row"));
        Assert.NotEqual(galleryA.NameTag("Alice"), galleryB.NameTag("Alice"));
        Assert.Contains("salt is missing or short", Assert.Throws<GalleryException>(() => key.ForGallery(new byte[4])).Message);
    }
}
