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
    }
}
