using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Npgsql;
using Shikaku.Testing;

namespace Shikaku.Gallery.Tests;

/// <summary>
/// The gallery's behaviour, one suite for both stores (<see cref="SqliteGalleryTests"/>, <see cref="PostgresGalleryTests"/>):
/// consent, the key, tampering, expiry, erasure down to the bytes of the files, the append-only audit, transactions
/// and concurrent enrolments. Descriptors here are random unit-scale vectors; the App tests use real faces.
/// </summary>
public abstract class GallerySuite : TempFolderTest
{
    protected const string Model = "face-api.js@1.7.15/face_recognition_model";
    protected static readonly DateOnly Today = new(2026, 12, 3);

    protected GallerySuite() : base("shikaku-gallery") { }

    /// <summary>A new connection to this test's (empty at first) gallery.</summary>
    protected abstract GalleryStore NewStore();

    protected string KeyFile => In("gallery.key");

    private readonly System.Collections.Concurrent.ConcurrentBag<GalleryKey> _keys = [];

    /// <summary>The gallery in <paramref name="store"/> opened with the test's key file (made on first use), on <paramref name="today"/>.</summary>
    protected ConsentGallery Open(GalleryStore store, DateOnly? today = null, string model = Model)
    {
        var key = GalleryKey.FromFile(KeyFile, create: true);
        _keys.Add(key); // the gallery does not own a key it is given; the test disposes them all at the end
        return ConsentGallery.Open(store, key, model, create: true, () => today ?? Today);
    }

    public override void Dispose()
    {
        foreach (var key in _keys) key.Dispose();
        base.Dispose();
    }

    protected static float[] Random(int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, 128).Select(_ => (float)(r.NextDouble() - 0.5) * 0.2f).ToArray();
    }

    protected static float[] Near(float[] d, int seed, float noise = 0.005f)
    {
        var r = new Random(seed);
        return d.Select(v => v + (float)(r.NextDouble() - 0.5) * noise).ToArray();
    }

    protected static Consent ConsentUntil(DateOnly expires) => new("shown in the club newsletter", "the person", Today, expires);

    protected static byte[] Bytes(float[] d) => MemoryMarshal.AsBytes(d.AsSpan()).ToArray();

    /// <summary>The audit's entries, after checking that its chain holds from the first to the last.</summary>
    protected static IReadOnlyList<AuditEntry> IntactAudit(ConsentGallery gallery)
    {
        var log = gallery.Audit();
        Assert.True(log.Intact, string.Join("\n", log.Breaks));
        return log.Entries;
    }

    protected static bool Holds(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>Drops the audit's append-only guard, as someone holding the file (or owning the tables) can.</summary>
    protected abstract void DropTheAuditGuard(GalleryStore store);

    /// <summary>Writes what the server holds in memory to its files (PostgreSQL's shared buffers), so a scan sees it.</summary>
    protected virtual void Flush(GalleryStore store) { }

    /// <summary>Every file the store keeps the gallery in, read now.</summary>
    protected byte[] FileBytes(GalleryStore store)
    {
        Flush(store);
        return store.Files().Where(File.Exists).SelectMany(File.ReadAllBytes).ToArray();
    }

    [Fact]
    public void EnrolledPeopleAreFoundAndAFaceNobodyIsCloseToIsUnknown()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        float[] alice = Random(1), alice2 = Near(alice, 2), bob = Random(3);
        var enrolled = gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [alice, alice2], "gallery enroll");
        Assert.Equal(2, enrolled.Descriptors);
        gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [bob], "gallery enroll");
        Assert.Equal(["Alice", "Bob"], gallery.People().Select(p => p.Name));
        Assert.Equal("shown in the club newsletter", gallery.Find("alice")!.Consent.Purpose); // names compare without case
        Assert.Null(gallery.Find("Carol"));
        // Halfway between two people is near both: the margin makes it unknown.
        var between = alice.Zip(bob, (a, b) => (a + b) / 2).ToArray();
        var matches = gallery.Identify([Near(alice, 9), Near(bob, 10), Random(99), between], threshold: 0.6, margin: 0.05, "gallery identify");
        Assert.Equal(["Alice", "Bob", ConsentGallery.Unknown, ConsentGallery.Unknown], matches.Select(m => m.Name));
        Assert.True(matches[0].Distance < 0.05);
        var audit = IntactAudit(gallery);
        Assert.Equal(["enroll", "enroll", "identify"], audit.Select(a => a.Action));
        Assert.Equal(["Alice", "Bob"], audit[2].People.Order());
        Assert.Equal(4, audit[2].Faces);
        Assert.Equal((2, 3), gallery.Counts());
        // Without the key the files show no name and no descriptor.
        var files = FileBytes(store);
        Assert.True(Holds(files, store.Query(null, "SELECT value FROM descriptors", r => (byte[])r.GetValue(0))[0][^16..]), "the scan reads the rows' bytes");
        foreach (var text in new[] { "Alice", "ALICE", "alice", "club newsletter", "the person" })
            foreach (var secret in new[] { Encoding.UTF8.GetBytes(text), Encoding.Unicode.GetBytes(text) })
                Assert.False(Holds(files, secret), $"the files hold \"{text}\"");
        foreach (var d in new[] { alice, alice2, bob })
            for (int at = 0; at + 4 <= 128; at += 4) // any 16 bytes of a descriptor, in its float32 form
                Assert.False(Holds(files, Bytes(d)[(at * 4)..(at * 4 + 16)]));
    }

    [Fact]
    public void ANameTypedInAnotherUnicodeFormIsTheSamePerson()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Jos\u00e9", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        var again = gallery.Enroll("jose\u0301", ConsentUntil(Today.AddDays(30)), [Random(2)], "gallery enroll");
        Assert.Equal(2, again.Descriptors);
        Assert.Single(gallery.People());
        Assert.Equal(Erasure.Erased, gallery.Forget("JOSE\u0301", "gallery forget"));
        Assert.Empty(gallery.People());
    }

    [Fact]
    public void AWrongKeyAnotherModelAndAPassphraseForAKeyFileGalleryAreClearErrors()
    {
        using (var store = NewStore())
        using (var gallery = Open(store))
            gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        using (var store = NewStore())
        {
            File.Move(KeyFile, In("old.key"));
            var e = Assert.Throws<GalleryException>(() => Open(store));
            Assert.Contains("does not open the gallery", e.Message);
            File.Move(In("old.key"), KeyFile, overwrite: true);
            e = Assert.Throws<GalleryException>(() => Open(store, model: "someone-else's-model"));
            Assert.Contains("holds descriptors of " + Model, e.Message);
            e = Assert.Throws<GalleryException>(() => ConsentGallery.OpenWithPassphrase(store, "a long enough passphrase", Model, create: true));
            Assert.Contains("not a passphrase", e.Message);
            using var gallery = Open(store);
            Assert.Throws<GalleryException>(() => gallery.Enroll("Eve", ConsentUntil(Today.AddDays(3)), [new float[127]], "gallery enroll"));
            Assert.Throws<GalleryException>(() => gallery.Enroll("Eve", ConsentUntil(Today.AddDays(3)), [Enumerable.Repeat(float.NaN, 128).ToArray()], "gallery enroll"));
            Assert.Throws<GalleryException>(() => gallery.Enroll("Eve", ConsentUntil(Today.AddDays(-1)), [Random(5)], "gallery enroll"));
            Assert.Throws<GalleryException>(() => gallery.Enroll("Eve", ConsentUntil(Today.AddDays(3)) with { Purpose = " " }, [Random(5)], "gallery enroll"));
            Assert.Null(gallery.Find("Eve"));
        }
    }

    [Fact]
    public void APassphraseGalleryOpensWithItsPassphraseOnly()
    {
        using (var store = NewStore())
        using (var gallery = ConsentGallery.OpenWithPassphrase(store, "correct horse battery staple", Model, create: true, () => Today))
            gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        using (var store = NewStore())
        {
            Assert.Contains("wrong passphrase", Assert.Throws<GalleryException>(() => ConsentGallery.OpenWithPassphrase(store, "correct horse battery stable", Model, create: false, () => Today)).Message);
            Assert.Contains("give its passphrase", Assert.Throws<GalleryException>(() => Open(store)).Message);
            using var gallery = ConsentGallery.OpenWithPassphrase(store, "correct horse battery staple", Model, create: false, () => Today);
            Assert.Equal("Alice", gallery.People().Single().Name);
        }
    }

    [Fact]
    public void TamperedOrMovedCiphertextIsDetected()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [Random(2)], "gallery enroll");
        var (id, value) = store.Query(null, "SELECT id, value FROM descriptors ORDER BY id", r => (r.GetInt64(0), (byte[])r.GetValue(1)))[0];
        var flipped = (byte[])value.Clone();
        flipped[20] ^= 1;
        store.Execute(null, "UPDATE descriptors SET value = @v WHERE id = @i", ("@v", flipped), ("@i", id));
        Assert.Contains("altered", Assert.Throws<GalleryException>(() => gallery.LoadIndex()).Message);
        store.Execute(null, "UPDATE descriptors SET value = @v WHERE id = @i", ("@v", value), ("@i", id));
        Assert.Equal(2, gallery.LoadIndex().Count);
        // Two people's (tag, record) pairs swapped between their rows, to put one under the other's consent: neither opens.
        var rows = store.Query(null, "SELECT id, tag, record FROM people ORDER BY id", r => (Id: r.GetInt64(0), Tag: (byte[])r.GetValue(1), Record: (byte[])r.GetValue(2)));
        void Put(long row, byte[] tag, byte[] record) => store.Execute(null, "UPDATE people SET tag = @t, record = @r WHERE id = @i", ("@t", tag), ("@r", record), ("@i", row));
        Put(rows[1].Id, [1], rows[1].Record);
        Put(rows[0].Id, rows[1].Tag, rows[1].Record);
        Put(rows[1].Id, rows[0].Tag, rows[0].Record);
        Assert.Throws<GalleryException>(() => gallery.People());
        Put(rows[1].Id, [1], rows[1].Record);
        Put(rows[0].Id, rows[0].Tag, rows[0].Record);
        Put(rows[1].Id, rows[1].Tag, rows[1].Record);
        Assert.Equal(2, gallery.People().Count);
        // A descriptor moved to another person does not open under them.
        long bob = gallery.Find("Bob")!.Id;
        store.Execute(null, "UPDATE descriptors SET person = @p WHERE id = @i", ("@p", bob), ("@i", id));
        Assert.Throws<GalleryException>(() => gallery.LoadIndex());
    }

    [Fact]
    public void AConsentThatExpiresWhileTheGalleryIsOpenStopsMatchingThatDay()
    {
        float[] alice = Random(1), bob = Random(2);
        var day = Today;
        using var store = NewStore();
        using var gallery = ConsentGallery.Open(store, GalleryKey.FromFile(KeyFile, create: true), Model, create: true, () => day);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(1)), [alice], "gallery enroll");
        gallery.Enroll("Bob", ConsentUntil(Today.AddDays(90)), [bob], "gallery enroll");
        day = Today.AddDays(1); // the last day it holds
        Assert.Equal(["Alice", "Bob"], gallery.Identify([Near(alice, 3), Near(bob, 4)], 0.6, 0.05, "gallery identify").Select(m => m.Name));
        day = Today.AddDays(2);
        Assert.Equal((2, 2), gallery.Counts()); // her rows are still there (the purge comes with the next opening) ...
        var matches = gallery.Identify([Near(alice, 3), Near(bob, 4)], 0.6, 0.05, "gallery identify");
        Assert.Equal([ConsentGallery.Unknown, "Bob"], matches.Select(m => m.Name)); // ... but she is never matched
        Assert.NotEqual("Alice", matches[0].Nearest); // nor named as the nearest
        Assert.Equal(1, gallery.PurgeExpired());
        Assert.Equal((1, 1), gallery.Counts());
    }

    [Fact]
    public void AnExpiredConsentIsNeverMatchedAndIsPurged()
    {
        float[] alice = Random(1);
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            gallery.Enroll("Alice", ConsentUntil(Today.AddDays(1)), [alice], "gallery enroll");
            gallery.Enroll("Bob", ConsentUntil(Today.AddDays(90)), [Random(2)], "gallery enroll");
        }
        using (var store = NewStore())
        using (var gallery = Open(store, today: Today.AddDays(2)))
        {
            Assert.Equal(["Bob"], gallery.People().Select(p => p.Name));
            Assert.Equal(ConsentGallery.Unknown, gallery.Identify([alice], 0.6, 0.05, "gallery identify").Single().Name);
            var audit = IntactAudit(gallery);
            Assert.Contains(audit, a => a.Action.StartsWith("purge", StringComparison.Ordinal) && a.People.Single().StartsWith("(forgotten", StringComparison.Ordinal));
            Assert.False(Holds(FileBytes(store), Bytes(alice)[..16]));
        }
    }

    [Fact]
    public void ForgetRemovesThePersonsBytesFromTheFilesAndTheirNameFromTheAudit()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice Example", ConsentUntil(Today.AddDays(30)), [Random(1), Random(2)], "gallery enroll");
        gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [Random(3)], "gallery enroll");
        gallery.Identify([Near(Random(1), 4)], 0.6, 0.05, "gallery identify");
        long alice = gallery.Find("Alice Example")!.Id;
        var sealedRows = store.Query(null, "SELECT value FROM descriptors WHERE person = @p", r => (byte[])r.GetValue(0), ("@p", alice))
            .Concat(store.Query(null, "SELECT tag FROM people WHERE id = @p", r => (byte[])r.GetValue(0), ("@p", alice)))
            .Concat(store.Query(null, "SELECT record FROM people WHERE id = @p", r => (byte[])r.GetValue(0), ("@p", alice))).ToList();
        Assert.Equal(4, sealedRows.Count);
        var before = FileBytes(store);
        Assert.True(sealedRows.All(s => Holds(before, s[^16..])), "the rows are in the files before the erasure (the scan can see them)");
        Assert.Equal(Erasure.Erased, gallery.Forget("alice example", "gallery forget"));
        Assert.Equal(Erasure.NobodyOfThatName, gallery.Forget("alice example", "gallery forget"));
        var after = FileBytes(store);
        foreach (var s in sealedRows) Assert.False(Holds(after, s[^16..]), "a sealed row of the forgotten person is still in the files");
        Assert.False(Holds(after, Encoding.UTF8.GetBytes("Alice Example")));
        Assert.Equal(["Bob"], gallery.People().Select(p => p.Name));
        var audit = IntactAudit(gallery);
        Assert.Equal("forget", audit[^1].Action);
        Assert.DoesNotContain(audit, a => a.People.Contains("Alice Example"));
        Assert.Equal($"(forgotten #{alice})", audit[2].People.Single()); // the identification that named her
    }

    [Fact]
    public void TheAuditLogCannotBeChangedOrDeleted()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        Assert.ThrowsAny<System.Data.Common.DbException>(() => store.Execute(null, "UPDATE audit SET entry = entry"));
        Assert.ThrowsAny<System.Data.Common.DbException>(() => store.Execute(null, "DELETE FROM audit"));
        Assert.Single(IntactAudit(gallery));
    }

    [Fact]
    public void EveryChangeByHandToTheAuditIsReportedWhereItHappenedAndLaterEntriesDoNotHideIt()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        for (int i = 0; i < 3; i++) gallery.Identify([Near(Random(1), 10 + i)], 0.6, 0.05, "gallery identify");
        Assert.Equal([1L, 2, 3, 4], IntactAudit(gallery).Select(e => e.Id));
        var rows = store.Query(null, "SELECT id, entry FROM audit ORDER BY id", r => (Id: r.GetInt64(0), Entry: (byte[])r.GetValue(1)));
        DropTheAuditGuard(store);
        void Put(long id, byte[] entry) => store.Execute(null, "UPDATE audit SET entry = @e WHERE id = @i", ("@e", entry), ("@i", id));
        void Restore()
        {
            store.Execute(null, "DELETE FROM audit");
            foreach (var (id, entry) in rows) store.Execute(null, "INSERT INTO audit (id, entry) VALUES (@i, @e)", ("@i", id), ("@e", entry));
        }
        (long[] Ids, string[] Breaks) Read()
        {
            var log = gallery.Audit();
            // The guard is gone throughout (reported as the last line); the other lines are what each change did.
            Assert.Contains("append-only guard", log.Breaks[^1]);
            return (log.Entries.Select(e => e.Id).ToArray(), log.Breaks.SkipLast(1).ToArray());
        }
        void Expect(long[] ids, params string[] breaks)
        {
            var (readIds, readBreaks) = Read();
            Assert.Equal(ids, readIds);
            Assert.Equal(breaks, readBreaks);
        }

        Expect([1, 2, 3, 4]);
        long[] ids;
        string[] breaks;

        // An entry copied over another (to make one identification look like another): the copy and the loss are both seen.
        Put(3, rows[1].Entry);
        Expect([1, 2, 4], "Row 3 of the audit table is a copy of entry 2 (row 2), put there by hand.", "Entry 3 is missing before entry 4: removed or altered by hand.");
        Restore();

        // Two rows swapped: each is listed, and where the order is wrong is said.
        Put(2, rows[2].Entry);
        Put(3, rows[1].Entry);
        (ids, breaks) = Read();
        Assert.Equal([1L, 3, 2, 4], ids);
        Assert.Equal(["Entry 3 follows entry 2 (row 3), not entry 1: rows were reordered, or entries put between them, by hand.",
            "Entry 2 follows entry 1 (row 1), not entry 3: rows were reordered, or entries put between them, by hand.",
            "Entry 4 follows entry 3 (row 2), not entry 2: rows were reordered, or entries put between them, by hand."], breaks);
        Restore();

        // A real entry copied onto the end: a copy, and the gallery's last entry is still the fourth.
        store.Execute(null, "INSERT INTO audit (id, entry) VALUES (5, @e)", ("@e", rows[1].Entry));
        Expect([1, 2, 3, 4], "Row 5 of the audit table is a copy of entry 2 (row 2), put there by hand.");
        Restore();

        // A header rewritten by hand to say the same in other digits: not the gallery's.
        var padded = Encoding.ASCII.GetBytes("c1 03" + Encoding.ASCII.GetString(rows[2].Entry)["c1 3".Length..]);
        Put(3, padded);
        (ids, breaks) = Read();
        Assert.Equal([1L, 2, 4], ids);
        Assert.Contains("Row 3 of the audit table is not an entry the gallery wrote", breaks[0]);
        Restore();

        // An entry removed from the middle, then the later rows renumbered to close the gap: the entries carry their numbers.
        store.Execute(null, "DELETE FROM audit WHERE id = 2");
        Expect([1, 3, 4], "Entry 2 is missing before entry 3: removed or altered by hand.");
        store.Execute(null, "DELETE FROM audit WHERE id > 2");
        store.Execute(null, "INSERT INTO audit (id, entry) VALUES (2, @a), (3, @b)", ("@a", rows[2].Entry), ("@b", rows[3].Entry));
        Expect([1, 3, 4], "Entry 2 is missing before entry 3: removed or altered by hand.");
        Restore();

        // One byte altered, and a row put in by hand: each is named, and the entries around them are still listed.
        var altered = (byte[])rows[2].Entry.Clone();
        altered[^20] ^= 1;
        Put(3, altered);
        store.Execute(null, "INSERT INTO audit (id, entry) VALUES (7, @e)", ("@e", Encoding.ASCII.GetBytes("c1 5 4 " + new string('0', 64) + "\nnot sealed")));
        (ids, breaks) = Read();
        Assert.Equal([1L, 2, 4], ids);
        Assert.Equal(3, breaks.Length);
        Assert.Contains("Row 3 of the audit table (entry 3) does not open", breaks[0]);
        Assert.Contains("Entry 3 is missing before entry 4", breaks[1]);
        Assert.Contains("Row 7 of the audit table (entry 5) does not open", breaks[2]);
        Restore();

        // The last entry cut off: the gallery remembers writing a fourth. The next identification chains to what the
        // gallery wrote last, not to what was left, so the cut stays visible after it.
        store.Execute(null, "DELETE FROM audit WHERE id = 4");
        Expect([1, 2, 3], "The log ends at entry 3, but the last entry the gallery wrote was entry 4: entries were removed from its end.");
        gallery.Identify([Random(5)], 0.6, 0.05, "gallery identify");
        Expect([1, 2, 3, 5], "Entry 4 is missing before entry 5: removed or altered by hand.");

        // The record of the last entry removed while entries remain: the next entry takes the next number, and says
        // it was written without that record.
        store.Execute(null, "DELETE FROM meta WHERE name = 'audit_head'");
        Expect([1, 2, 3, 5], "Entry 4 is missing before entry 5: removed or altered by hand.", "The record of the log's last entry is missing: it was removed or altered by hand.");
        gallery.Identify([Random(7)], 0.6, 0.05, "gallery identify");
        Expect([1, 2, 3, 5, 6], "Entry 4 is missing before entry 5: removed or altered by hand.",
            "Entry 6 was written when the record of the log's last entry was missing or altered: the entries before it cannot be vouched for.");

        // The whole log emptied: the gallery remembers its last entry. With that record gone too, the next entry says
        // it was written without it, so an emptied log does not pass for a new one.
        store.Execute(null, "DELETE FROM audit");
        Assert.Contains("ends at entry 0, but the last entry the gallery wrote was entry 6", Read().Breaks.Single());
        store.Execute(null, "DELETE FROM meta WHERE name = 'audit_head'");
        Assert.Contains("record of the log's last entry is missing", Read().Breaks.Single());
        gallery.Identify([Random(6)], 0.6, 0.05, "gallery identify");
        Expect([1], "Entry 1 was written when the record of the log's last entry was missing or altered: the entries before it cannot be vouched for.");
    }

    [Fact]
    public void AnAuditRowNumberedAtTheLimitStopsWritesWithAClearErrorAndChangesNothing()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        store.Execute(null, "INSERT INTO audit (id, entry) VALUES (@i, @e)", ("@i", long.MaxValue), ("@e", new byte[] { 1 }));
        var e = Assert.Throws<GalleryException>(() => gallery.Forget("alice", "gallery forget"));
        Assert.Contains($"a row numbered {long.MaxValue}, put there by hand", e.Message);
        Assert.NotNull(gallery.Find("alice")); // the erasure and its audit are one transaction: neither happened
        // With the guard gone too, the opening cannot put it back (that would be audited), but the gallery still
        // opens, for the audit to say so.
        DropTheAuditGuard(store);
        using var again = Open(NewStore());
        Assert.Contains("putting the audit's guard back failed", again.UpkeepProblem);
        var breaks = again.Audit().Breaks;
        Assert.Contains(breaks, b => b.StartsWith($"Row {long.MaxValue} of the audit table is not an entry the gallery wrote", StringComparison.Ordinal));
        Assert.Contains(breaks, b => b.Contains("append-only guard", StringComparison.Ordinal));
        Assert.Contains(breaks, b => b.StartsWith("On opening the gallery, putting the audit's guard back failed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AGalleryWhoseOwnRecordsWereDeletedIsNotMadeAnew(bool everything)
    {
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
            DropTheAuditGuard(store);
            store.Execute(null, "DELETE FROM audit");
            store.Execute(null, "DELETE FROM meta");
            if (everything) store.Execute(null, "DELETE FROM descriptors; DELETE FROM people;"); // then it would pass for a new, empty, intact one
        }
        using (var store = NewStore())
            Assert.Contains("has its tables but not its own records: they were deleted by hand", Assert.Throws<GalleryException>(() => Open(store)).Message);
    }

    /// <summary>Adds by hand what makes the store drop inserts into the audit silently (a trigger or a rule).</summary>
    protected abstract void SwallowAuditInserts(GalleryStore store);

    [Fact]
    public void AnAuditInsertSwallowedOnTheWayFailsTheCommandAndTheGuardIsReported()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        SwallowAuditInserts(store);
        Assert.Contains("was not stored as written", Assert.Throws<GalleryException>(() => gallery.Identify([Random(2)], 0.6, 0.05, "gallery identify")).Message);
        Assert.Contains("was not stored as written", Assert.Throws<GalleryException>(() => gallery.Forget("alice", "gallery forget")).Message);
        Assert.NotNull(gallery.Find("alice")); // the erasure waits for an audit that can be written
        var log = gallery.Audit();
        Assert.Single(log.Entries);
        Assert.Contains("append-only guard", log.Breaks.Single());
        // The next opening takes what was added away, and the gallery works again.
        using var again = Open(NewStore());
        Assert.Equal("Alice", again.Identify([Near(Random(1), 3)], 0.6, 0.05, "gallery identify").Single().Name);
        Assert.Equal(["enroll", "audit guard restored (it had been removed by hand)", "identify"], IntactAudit(again).Select(e => e.Action));
    }

    [Fact]
    public void ARemovedAuditGuardIsReportedAndPutBackByTheNextOpeningWhichRecordsIt()
    {
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
            DropTheAuditGuard(store);
            Assert.False(store.HasAuditGuard());
            Assert.Contains(gallery.Audit().Breaks, b => b.Contains("append-only guard", StringComparison.Ordinal));
        }
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            Assert.True(store.HasAuditGuard());
            Assert.Equal(["enroll", "audit guard restored (it had been removed by hand)"], IntactAudit(gallery).Select(e => e.Action));
            Assert.ThrowsAny<System.Data.Common.DbException>(() => store.Execute(null, "DELETE FROM audit"));
        }
    }

    /// <summary>Runs <paramref name="work"/> on two threads at once (two connections, as two processes have), and fails if either fails.</summary>
    private static void TwoAtOnce(Action<int> work)
    {
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            try
            {
                work(t);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.Empty(errors);
    }

    [Fact]
    public void TwoCreatingTheSameNewGalleryAtOnceMakeOneGallery()
    {
        using (GalleryKey.FromFile(KeyFile, create: true)) { } // one key for both, as two machines given the same key file
        TwoAtOnce(t =>
        {
            using var store = NewStore();
            using var gallery = Open(store);
            gallery.Enroll($"person {t}", ConsentUntil(Today.AddDays(30)), [Random(t)], "gallery enroll");
        });
        using var check = NewStore();
        using var g = Open(check);
        Assert.Equal((2, 2), g.Counts());
        Assert.Single(check.Query(null, "SELECT value FROM meta WHERE name = 'salt'", r => (byte[])r.GetValue(0)));
        Assert.Equal(2, IntactAudit(g).Count);
    }

    /// <summary>
    /// Turns this test's gallery into what format 1 wrote: every person and descriptor sealed with the key as given
    /// (not the gallery's own), each person under a tag this version does not compute (format 1 tagged names without
    /// decomposing them), the key check under its format-1 context, and an audit log of <paramref name="actions"/>
    /// sealed one by one. <paramref name="editRecord"/> may change a person's record (its JSON) on the way.
    /// </summary>
    protected void MakeFormatOne(string[] actions, Func<long, string, string>? editRecord = null)
    {
        using var store = NewStore();
        using var key = GalleryKey.FromFile(KeyFile, create: false);
        using var own = key.ForGallery(store.Query(null, "SELECT value FROM meta WHERE name = 'salt'", r => (byte[])r.GetValue(0))[0]);
        foreach (var (id, tag, record) in store.Query(null, "SELECT id, tag, record FROM people", r => (r.GetInt64(0), (byte[])r.GetValue(1), (byte[])r.GetValue(2))))
        {
            string json = Encoding.UTF8.GetString(own.Open(record, $"person:{id}:{Convert.ToHexString(tag)}", "a person"));
            json = editRecord?.Invoke(id, json) ?? json;
            var oldTag = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            store.Execute(null, "UPDATE people SET tag = @t, record = @r WHERE id = @i", ("@t", oldTag), ("@r", key.Seal(Encoding.UTF8.GetBytes(json), $"person:{id}:{Convert.ToHexString(oldTag)}")), ("@i", id));
        }
        foreach (var (id, person, value) in store.Query(null, "SELECT id, person, value FROM descriptors", r => (r.GetInt64(0), r.GetInt64(1), (byte[])r.GetValue(2))))
            store.Execute(null, "UPDATE descriptors SET value = @v WHERE id = @i", ("@v", key.Seal(own.Open(value, $"descriptor:{person}", "a descriptor"), $"descriptor:{person}")), ("@i", id));
        store.Execute(null, "DROP TABLE audit");
        store.InTransaction(tx =>
        {
            store.EnsureSchema(tx);
            return 0;
        });
        foreach (var action in actions)
            store.Execute(null, "INSERT INTO audit (entry) VALUES (@e)", ("@e", key.Seal(Encoding.UTF8.GetBytes(
                $$"""{"At":"2026-11-30T10:00:00+00:00","Action":"{{action}}","Command":"gallery {{action}}","People":[],"Faces":1}"""), "audit")));
        store.Execute(null, "DELETE FROM meta WHERE name IN ('audit_head', 'audit_unchained_below')");
        store.Execute(null, "UPDATE meta SET value = @v WHERE name = 'format'", ("@v", "1"u8.ToArray()));
        store.Execute(null, "UPDATE meta SET value = @v WHERE name = 'check'", ("@v", key.Seal("shikaku-gallery"u8, "check")));
    }

    [Fact]
    public void AFormatOneGalleryIsUpgradedOnOpeningItsPeopleResealedAndItsOldEntriesGuardedAsABlock()
    {
        float[] jose = Random(1);
        using (var store = NewStore())
        using (var gallery = Open(store))
            gallery.Enroll("Jos\u00e9", ConsentUntil(Today.AddDays(30)), [jose, Random(2)], "gallery enroll");
        MakeFormatOne(["enroll", "identify"]);
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            Assert.Equal(ConsentGallery.Format, Encoding.ASCII.GetString(store.Query(null, "SELECT value FROM meta WHERE name = 'format'", r => (byte[])r.GetValue(0))[0]));
            Assert.Equal(2, gallery.Find("jose\u0301")!.Descriptors); // re-tagged from the name in the record
            Assert.Equal("Jos\u00e9", gallery.Identify([Near(jose, 3)], 0.6, 0.05, "gallery identify").Single().Name); // descriptors sealed anew, and open
            gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(4)], "gallery enroll");
            Assert.Equal(["enroll", "identify", "identify", "enroll"], IntactAudit(gallery).Select(e => e.Action));
            // Setting the format back by hand (to have the gallery upgraded again, from a shortened log) is refused.
            store.Execute(null, "UPDATE meta SET value = @v WHERE name = 'format'", ("@v", "1"u8.ToArray()));
            using (var other = NewStore())
                Assert.Contains("format record was altered", Assert.Throws<GalleryException>(() => Open(other)).Message);
            store.Execute(null, "UPDATE meta SET value = @v WHERE name = 'format'", ("@v", Encoding.ASCII.GetBytes(ConsentGallery.Format)));
            // The old entries, which stood alone, are guarded as a block: one removed, or their record removed, is seen.
            DropTheAuditGuard(store);
            var first = store.Query(null, "SELECT entry FROM audit WHERE id = 1", r => (byte[])r.GetValue(0))[0];
            store.Execute(null, "DELETE FROM audit WHERE id = 1");
            Assert.Contains(gallery.Audit().Breaks, b => b.Contains("entries from before format 2 (rows 1 to 2) were altered, removed or added to", StringComparison.Ordinal));
            store.Execute(null, "INSERT INTO audit (id, entry) VALUES (1, @e)", ("@e", first));
            store.Execute(null, "DELETE FROM meta WHERE name = 'audit_unchained_below'");
            var breaks = gallery.Audit().Breaks;
            Assert.Contains(breaks, b => b.Contains("record of the log's format-1 entries is missing", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void AFormatOneGalleryWithOneNameEnrolledInTwoUnicodeFormsIsNotUpgradedButExplained()
    {
        long bob;
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            gallery.Enroll("Jos\u00e9", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
            bob = gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [Random(2)], "gallery enroll").Id;
        }
        // Bob's row becomes a second José, decomposed, under its own tag: what format 1 allowed.
        MakeFormatOne(["enroll", "enroll"], (id, json) => id != bob ? json : json.Replace("\"Bob\"", "\"Jose\\u0301\"", StringComparison.Ordinal));
        using (var store = NewStore())
        {
            string Snapshot() => string.Join("|", store.Query(null, "SELECT name, value FROM meta ORDER BY name", r => r.GetString(0) + "=" + Convert.ToHexString((byte[])r.GetValue(1)))
                .Concat(store.Query(null, "SELECT id, tag, record FROM people ORDER BY id", r => $"{r.GetInt64(0)}:{Convert.ToHexString((byte[])r.GetValue(1))}:{Convert.ToHexString((byte[])r.GetValue(2))}"))
                .Concat(store.Query(null, "SELECT id, value FROM descriptors ORDER BY id", r => $"{r.GetInt64(0)}:{Convert.ToHexString((byte[])r.GetValue(1))}")));
            string before = Snapshot();
            var e = Assert.Throws<GalleryException>(() => Open(store));
            Assert.Contains("have the same name written in different Unicode forms", e.Message);
            Assert.Equal(before, Snapshot()); // nothing of the upgrade landed: one transaction
        }
    }

    [Fact]
    public void AnEnrolmentThatFailsPartWayLeavesTheGalleryAsItWas()
    {
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [Random(3)], "gallery enroll");
        static IEnumerable<float[]> Failing()
        {
            yield return Random(1);
            yield return Random(2);
            throw new IOException("the photo folder went away");
        }
        Assert.Throws<IOException>(() => gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), Failing(), "gallery enroll"));
        Assert.Null(gallery.Find("Alice"));
        Assert.Equal((1, 1), gallery.Counts());
        Assert.Single(IntactAudit(gallery));
    }

    [Fact]
    public void TwoEnrollingAtOnceLoseNothing()
    {
        using (var store = NewStore())
        using (Open(store)) { } // the gallery exists, as after a first enrolment
        const int each = 15;
        // Each enrolment waits for the other's transaction.
        TwoAtOnce(t =>
        {
            using var store = NewStore();
            using var gallery = Open(store);
            for (int i = 0; i < each; i++) gallery.Enroll($"person {t}-{i}", ConsentUntil(Today.AddDays(30)), [Random(100 * t + i), Random(1000 + 100 * t + i)], "gallery enroll");
        });
        using var check = NewStore();
        using var g = Open(check);
        Assert.Equal((2 * each, 4 * each), g.Counts());
        Assert.Equal(2 * each, IntactAudit(g).Count(a => a.Action == "enroll"));
    }
}

/// <summary>The suite on the embedded store: a SQLite file in the test's folder.</summary>
public sealed class SqliteGalleryTests : GallerySuite
{
    protected override GalleryStore NewStore() => GalleryStore.Open(In("gallery.db"));

    protected override void DropTheAuditGuard(GalleryStore store) => store.Execute(null, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;");

    protected override void SwallowAuditInserts(GalleryStore store) => store.Execute(null, "CREATE TRIGGER swallow BEFORE INSERT ON audit BEGIN SELECT RAISE(IGNORE); END");

    [Fact]
    public void TextWhereTheGalleryKeepsBytesIsReportedLikeAnyAlteredRowNotACrash()
    {
        // SQLite lets a row written by hand put text in a BLOB column, which the triggers do not stop.
        using var store = NewStore();
        using var gallery = Open(store);
        gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
        store.Execute(null, "INSERT INTO audit (id, entry) VALUES (2, 'not bytes')");
        Assert.Contains("Row 2 of the audit table is not an entry the gallery wrote", gallery.Audit().Breaks.Single());
        store.Execute(null, "UPDATE meta SET value = 'not bytes' WHERE name = 'audit_head'");
        Assert.Contains(gallery.Audit().Breaks, b => b.Contains("record of the log's last entry does not open", StringComparison.Ordinal));
        Assert.Equal("Alice", gallery.Identify([Near(Random(1), 2)], 0.6, 0.05, "gallery identify").Single().Name); // still works, and is audited
        store.Execute(null, "UPDATE people SET record = 'not bytes'");
        using var againStore = NewStore();
        using var again = Open(againStore); // reading the people for the purge passes over a row that does not open
        Assert.Contains("Person row 1 is not a sealed gallery value", Assert.Throws<GalleryException>(() => again.People()).Message);
        Assert.Contains("(unreadable #1)", again.Audit().Entries[0].People);
    }
}

/// <summary>
/// The suite on PostgreSQL 15: the server named by SHIKAKU_TEST_POSTGRES (an Npgsql connection string; .ci/run starts
/// a throw-away cluster and sets it), or else a throw-away cluster this test run starts itself with
/// scripts/postgres-throwaway.sh. Each test has its own schema.
/// </summary>
public sealed class PostgresGalleryTests : GallerySuite, IClassFixture<PostgresServer>
{
    private readonly string _connection;
    private readonly string _schema = "t" + Guid.NewGuid().ToString("N")[..12];
    private readonly PostgresServer _server;

    public PostgresGalleryTests(PostgresServer server)
    {
        _server = server;
        using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            admin.Open();
            using var create = new NpgsqlCommand($"CREATE SCHEMA {_schema}", admin);
            create.ExecuteNonQuery();
        }
        _connection = new NpgsqlConnectionStringBuilder(server.ConnectionString) { SearchPath = _schema, Pooling = false }.ConnectionString;
    }

    protected override GalleryStore NewStore() => GalleryStore.Open(_connection);

    protected override void Flush(GalleryStore store) => store.Execute(null, "CHECKPOINT");

    protected override void DropTheAuditGuard(GalleryStore store) => store.Execute(null, "DROP TRIGGER audit_append_only ON audit");

    protected override void SwallowAuditInserts(GalleryStore store) => store.Execute(null, "CREATE RULE swallow AS ON INSERT TO audit DO INSTEAD NOTHING");

    private void AsAdmin(string sql)
    {
        using var admin = new NpgsqlConnection(_server.ConnectionString);
        admin.Open();
        using var command = new NpgsqlCommand(sql, admin);
        command.ExecuteNonQuery();
    }

    [Fact]
    public void AClientThatDiesInTheMiddleOfAnEnrolmentLeavesTheGalleryAsItWas()
    {
        using (var store = NewStore())
        using (var gallery = Open(store))
            gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [Random(3)], "gallery enroll");
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            int backend = store.Query(null, "SELECT pg_backend_pid()", r => r.GetInt32(0))[0];
            // Two descriptors written inside the enrolment's transaction, then the client's connection is killed from
            // outside, as the server sees a client that crashed or lost its network.
            IEnumerable<float[]> DiesAfterTwo()
            {
                yield return Random(1);
                yield return Random(2);
                AsAdmin($"SELECT pg_terminate_backend({backend})");
                yield return Random(4);
            }
            Assert.ThrowsAny<System.Data.Common.DbException>(() => gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), DiesAfterTwo(), "gallery enroll"));
        }
        using (var store = NewStore())
        using (var gallery = Open(store))
        {
            Assert.Null(gallery.Find("Alice"));
            Assert.Equal((1, 1), gallery.Counts());
            Assert.Equal(["enroll"], IntactAudit(gallery).Select(e => e.Action));
        }
    }

    [Fact]
    public void ARoleThatMayUseTheTablesButNotOwnThemWorksTheGalleryAndTheOwnerFinishesItsErasure()
    {
        using (var store = NewStore())
        using (var gallery = Open(store))
            gallery.Enroll("Bob", ConsentUntil(Today.AddDays(30)), [Random(3)], "gallery enroll"); // the owner makes the gallery
        string role = "r" + _schema;
        AsAdmin($"""
            CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {_schema} TO {role};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {_schema} TO {role}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA {_schema} TO {role};
            """);
        try
        {
            byte[] aliceRow;
            using (var store = GalleryStore.Open(new NpgsqlConnectionStringBuilder(_connection) { Username = role }.ConnectionString))
            {
                Assert.ThrowsAny<System.Data.Common.DbException>(() => store.Execute(null, "CREATE TABLE anything (x int)")); // it may not create
                using var gallery = Open(store);
                gallery.Enroll("Alice", ConsentUntil(Today.AddDays(30)), [Random(1)], "gallery enroll");
                Assert.Equal("Bob", gallery.Identify([Near(Random(3), 4)], 0.6, 0.05, "gallery identify").Single().Name);
                aliceRow = store.Query(null, "SELECT value FROM descriptors WHERE person = @p", r => (byte[])r.GetValue(0), ("@p", gallery.Find("Alice")!.Id)).Single();
                using (var owner = NewStore()) // reading the server's files takes more rights than the role has
                    Assert.True(Holds(FileBytes(owner), aliceRow[^16..]), "her row is in the files before the erasure");
                // It may delete rows but not rewrite the tables: the erasure lands, and says the compaction waits.
                Assert.Equal(Erasure.ErasedCompactionPending, gallery.Forget("alice", "gallery forget"));
                Assert.Null(gallery.Find("alice"));
                Assert.True(gallery.AwaitsCompaction);
                Assert.Contains("owner", gallery.CompactionProblem);
            }
            using (var store = NewStore())
            using (var gallery = Open(store)) // the owner's next opening compacts
            {
                Assert.False(gallery.AwaitsCompaction);
                Assert.False(Holds(FileBytes(store), aliceRow[^16..]), "her row is still in the files after the owner opened the gallery");
                Assert.Equal(["enroll", "enroll", "identify", "forget"], IntactAudit(gallery).Select(e => e.Action));
            }
        }
        finally
        {
            AsAdmin($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    public override void Dispose()
    {
        using (var admin = new NpgsqlConnection(_server.ConnectionString))
        {
            admin.Open();
            using var drop = new NpgsqlCommand($"DROP SCHEMA {_schema} CASCADE", admin);
            drop.ExecuteNonQuery();
        }
        base.Dispose();
    }
}

/// <summary>The PostgreSQL server the tests use: SHIKAKU_TEST_POSTGRES's, or a throw-away cluster started (and stopped) here.</summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string? _folder;

    public PostgresServer()
    {
        if (Environment.GetEnvironmentVariable("SHIKAKU_TEST_POSTGRES") is { Length: > 0 } given)
        {
            ConnectionString = given;
            return;
        }
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "scripts", "postgres-throwaway.sh"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("scripts/postgres-throwaway.sh not found above the test folder");
        _folder = Path.Combine(Path.GetTempPath(), "shikaku-pg-" + Guid.NewGuid().ToString("N")[..8]);
        int port = 40000 + System.Random.Shared.Next(20000);
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "postgres-throwaway.sh"), "start", _folder, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"Could not start a throw-away PostgreSQL (set SHIKAKU_TEST_POSTGRES to use a running one): {error}");
        ConnectionString = output.Trim();
    }

    /// <summary>An Npgsql connection string to a database the tests may create schemas in.</summary>
    public string ConnectionString { get; }

    public void Dispose()
    {
        if (_folder == null) return;
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "scripts", "postgres-throwaway.sh"))) root = Path.GetDirectoryName(root)!;
        using var p = Process.Start(new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "postgres-throwaway.sh"), "stop", _folder]))!;
        p.WaitForExit();
    }
}
