using System.Data.Common;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shikaku.Gallery;

/// <summary>A person's consent: who gave it, for what, when, and until when. Nothing is stored without one.</summary>
/// <param name="Purpose">What the person agreed to, in their words ("shown in the club newsletter").</param>
/// <param name="GivenBy">Who gave the consent (the person, or a guardian).</param>
/// <param name="Given">The day it was given.</param>
/// <param name="Expires">The last day it holds; after it the person is never matched and is purged.</param>
public sealed record Consent(string Purpose, string GivenBy, DateOnly Given, DateOnly Expires);

/// <summary>What <see cref="ConsentGallery.Forget"/> did.</summary>
public enum Erasure
{
    /// <summary>Nobody of that name is enrolled; nothing changed.</summary>
    NobodyOfThatName,

    /// <summary>The person's rows are deleted and their bytes are gone from the store's files.</summary>
    Erased,

    /// <summary>
    /// The rows are deleted (nobody can match them) but the store could not be compacted yet, so their sealed bytes
    /// (unreadable without the key) stay in its files until a connection that may compact opens the gallery (on
    /// PostgreSQL, the tables' or the database's owner).
    /// </summary>
    ErasedCompactionPending,
}

/// <summary>One enrolled person as the gallery shows them (never their descriptors).</summary>
public sealed record GalleryPerson(long Id, string Name, Consent Consent, int Descriptors, DateTimeOffset Enrolled);

/// <summary>An identification: the nearest enrolled person, or <see cref="ConsentGallery.Unknown"/> below the margin.</summary>
/// <param name="Name">The person's name, or "unknown".</param>
/// <param name="Distance">Euclidean distance to the nearest enrolled descriptor (NaN for an empty gallery).</param>
/// <param name="Nearest">The nearest person even when the answer is unknown (for the audit and calibration), or null.</param>
public sealed record GalleryMatch(string Name, double Distance, string? Nearest)
{
    /// <summary>True when a person was named.</summary>
    public bool Known => Name != ConsentGallery.Unknown;
}

/// <summary>One line of the audit log: when, what, which command, which people (by name while they are enrolled), how many faces.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Action, string Command, IReadOnlyList<string> People, int Faces);

/// <summary>
/// The audit log as read and checked: every entry that opens, oldest first, and every break in the chain (an entry
/// inserted, copied, removed, reordered or altered, entries cut from the end, the append-only guard removed), each
/// saying where and what; none when the log holds from the first entry to the last.
/// </summary>
public sealed record AuditLog(IReadOnlyList<AuditEntry> Entries, IReadOnlyList<string> Breaks)
{
    /// <summary>True when every entry follows the one before it, the last is the one the gallery wrote last, and the guard is in place.</summary>
    public bool Intact => Breaks.Count == 0;
}

/// <summary>
/// A face gallery that keeps nothing without consent. Each person's name and consent, each descriptor and each audit
/// entry is sealed with AES-256-GCM under the gallery's key, bound to its row (a row moved or altered fails to open);
/// a name is found by its keyed tag, never stored in the clear. Without the key the file shows only counts.
/// An expired consent is never matched and is purged when the gallery is opened. <see cref="Forget"/> deletes a
/// person's rows and compacts the store, so their bytes leave its files. Every enrolment, identification, erasure
/// and purge is appended to the audit log (which the store refuses to change), naming people by their row id, so that
/// forgetting someone also removes their name from the log's reading.
/// </summary>
/// <example><code>
/// using var store = GalleryStore.Open("gallery.db");
/// using var key = GalleryKey.FromFile("gallery.key", create: true);
/// using var gallery = ConsentGallery.Open(store, key, "face-api.js@1.7.15/face_recognition_model", create: true);
/// gallery.Enroll("alice", new Consent("club newsletter", "alice", today, expires), descriptors, "gallery enroll");
/// </code></example>
public sealed class ConsentGallery : IDisposable
{
    /// <summary>The name given to a face nobody enrolled is close enough to.</summary>
    public const string Unknown = "unknown";

    /// <summary>Numbers per descriptor.</summary>
    public const int DescriptorLength = 128;

    /// <summary>
    /// The layout this version writes: 2 chains the audit log and tags names in canonical form (a format-1 gallery,
    /// whose audit entries stood alone, is upgraded when it is opened).
    /// </summary>
    public const string Format = "2";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
    private readonly GalleryStore _store;
    // _key is this gallery's own (derived from the given key and the gallery's salt, and disposed with the gallery);
    // _given is the key as given, which format 1 sealed everything with (read for the upgrade and the old audit entries).
    private readonly GalleryKey _key, _given;
    private readonly bool _ownsGiven;
    private readonly AuditChain _audit;
    private readonly Func<DateOnly> _today;

    private ConsentGallery(GalleryStore store, GalleryKey given, bool ownsGiven, byte[] salt, string model, Func<DateOnly>? today)
    {
        _store = store;
        _given = given;
        _ownsGiven = ownsGiven;
        try
        {
            _key = given.ForGallery(salt);
        }
        catch
        {
            if (ownsGiven) given.Dispose();
            throw;
        }
        _audit = new AuditChain(store, _key, given);
        Model = model;
        _today = today ?? (() => DateOnly.FromDateTime(DateTime.UtcNow));
    }

    /// <summary>The descriptor model every stored descriptor came from; descriptors of another are refused.</summary>
    public string Model { get; }

    /// <summary>The store's location, for messages.</summary>
    public string Where => _store.Where;

    /// <summary>Opens key file galleries and checks the key. <paramref name="create"/> makes a new gallery where there is none.</summary>
    public static ConsentGallery Open(GalleryStore store, GalleryKey key, string model, bool create, Func<DateOnly>? today = null) =>
        Open(store, _ => key, key.Kind, model, create, today, owned: false);

    /// <summary>Opens a passphrase gallery: its key is derived from <paramref name="passphrase"/> and the stored salt (made with the gallery).</summary>
    public static ConsentGallery OpenWithPassphrase(GalleryStore store, string passphrase, string model, bool create, Func<DateOnly>? today = null) =>
        Open(store, salt => GalleryKey.FromPassphrase(passphrase, salt), "passphrase", model, create, today, owned: true);

    private static ConsentGallery Open(GalleryStore store, Func<byte[], GalleryKey> makeKey, string kind, string model, bool create, Func<DateOnly>? today, bool owned)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(model);
        // Reading first, writing only when there is something to write: a role that may read and write the tables but
        // not create them (a shared PostgreSQL gallery) opens it, and the key's derivation holds no lock.
        bool hadSchema = store.HasSchema();
        var meta = hadSchema ? ReadMeta(store, null) : [];
        if (meta.Count == 0)
        {
            // The schema and the gallery's records are made in one transaction, so tables without records were emptied by hand.
            if (hadSchema)
                throw new GalleryException($"The gallery at {store.Where} has its tables but not its own records: they were deleted by hand. It is not made " +
                    "anew over what is left: restore it from a backup, or remove its tables to start afresh.");
            if (!create) throw new GalleryException($"There is no gallery at {store.Where} yet; enrol someone first (gallery enroll).");
            if (store.OtherTables() is { Count: > 0 } other)
                throw new GalleryException($"{store.Where} is a database of something else (its tables: {string.Join(", ", other.Take(5))}); " +
                    "a gallery is not put into it. Give a new file name.");
            var salt = GalleryKey.NewSalt();
            var fresh = makeKey(salt);
            ConsentGallery? made = null;
            try
            {
                made = new ConsentGallery(store, fresh, owned, salt, model, today);
                bool first = store.InTransaction(tx =>
                {
                    store.EnsureSchema(tx);
                    if (ReadMeta(store, tx).Count > 0) return false; // another process made it meanwhile
                    foreach (var (name, value) in new[] { ("format", Encoding.ASCII.GetBytes(Format)), ("model", Encoding.UTF8.GetBytes(model)), ("kind", Encoding.UTF8.GetBytes(kind)),
                                 ("salt", salt), ("check", made._key.Seal("shikaku-gallery"u8, CheckContext(Format))) })
                        store.Execute(tx, "INSERT INTO meta (name, value) VALUES (@n, @v)", ("@n", name), ("@v", value));
                    made._audit.Start(tx);
                    return true;
                });
                if (first)
                {
                    var result = made;
                    made = null;
                    return result;
                }
            }
            catch when (made == null && owned)
            {
                fresh.Dispose(); // the gallery that would own it was never made
                throw;
            }
            finally
            {
                made?.Dispose(); // not returned: another process made the gallery first, or this failed
            }
            meta = ReadMeta(store, null);
        }
        foreach (string required in new[] { "format", "model", "kind", "salt", "check" })
            if (!meta.ContainsKey(required)) throw new GalleryException($"The gallery at {store.Where} has no '{required}' record; it is damaged or not a Shikaku gallery.");
        string storedKind = Encoding.UTF8.GetString(meta["kind"]);
        if (storedKind != kind)
            throw new GalleryException($"The gallery at {store.Where} is opened with a {storedKind}, not a {kind}: give " +
                (storedKind == "passphrase" ? "its passphrase (--passphrase-env)." : "its --key-file."));
        string format = Encoding.ASCII.GetString(meta["format"]);
        if (format is not ("1" or Format))
            throw new GalleryException($"The gallery at {store.Where} is in format {format}, which this Shikaku does not know (it writes format {Format}); open it with the Shikaku that made it.");
        string storedModel = Encoding.UTF8.GetString(meta["model"]);
        if (storedModel != model)
            throw new GalleryException($"The gallery at {store.Where} holds descriptors of {storedModel}; these come from {model}, and distances between the two mean nothing.");
        var gallery = new ConsentGallery(store, makeKey(meta["salt"]), owned, meta["salt"], model, today);
        try
        {
            // The key check is sealed with the format as its context (format 2 under the gallery's own key), so the
            // format record cannot be set back by hand and a format-1 Shikaku cannot open a format-2 gallery.
            bool Checks(string f) => Opens(f == "1" ? gallery._given : gallery._key, meta["check"], f);
            if (!Checks(format))
            {
                string other = format == Format ? "1" : Format;
                if (Checks(other))
                    throw new GalleryException($"The gallery at {store.Where} says it is format {format} but was made as format {other}: its format record was altered by hand.");
                throw new GalleryException($"The key does not open the gallery at {store.Where}: a wrong " + (kind == "passphrase" ? "passphrase." : "key file."));
            }
            if (format == "1" && AuditChain.IsChained(meta))
                throw new GalleryException($"The gallery at {store.Where} says it is format 1 but holds format-2 audit records: it was altered by hand.");
            if (format == "1")
                store.InTransaction(tx =>
                {
                    if (Encoding.ASCII.GetString(ReadMeta(store, tx)["format"]) == "1") gallery.UpgradeFromFormat1(tx);
                    return 0;
                });
            // Upkeep that must not keep anyone from opening the gallery (to audit it, or to erase someone): a guard
            // that cannot be put back, or a purge that cannot be written, is what the audit then reports.
            foreach (var (step, upkeep) in new (string, Action)[] { ("putting the audit's guard back", gallery.RestoreAuditGuard), ("purging expired consents", () => gallery.PurgeExpired()) })
            {
                try
                {
                    upkeep();
                }
                catch (Exception e) when (e is GalleryException or DbException)
                {
                    gallery.UpkeepProblem = (gallery.UpkeepProblem == null ? "" : gallery.UpkeepProblem + " ") + $"{step} failed: {e.Message.TrimEnd('.')}.";
                }
            }
            return gallery;
        }
        catch
        {
            gallery.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Why the upkeep on opening (putting the audit guard back, purging expired consents) could not be done, or null.
    /// <see cref="Audit"/> reports it as a break too. (An expired consent is never matched, purged or not.)
    /// </summary>
    public string? UpkeepProblem { get; private set; }

    private static string CheckContext(string format) => format == "1" ? "check" : "check:" + format;

    private static bool Opens(GalleryKey key, byte[] check, string format)
    {
        try
        {
            key.Open(check, CheckContext(format), "The gallery's key check");
            return true;
        }
        catch (GalleryException)
        {
            return false;
        }
    }

    // Someone who may change the schema removed or disabled the audit's triggers: put them back when this connection
    // may (the tables' owner), and say so in the log; otherwise the audit reports it.
    private void RestoreAuditGuard()
    {
        if (_store.HasAuditGuard()) return;
        try
        {
            _store.InTransaction(tx =>
            {
                if (_store.HasAuditGuard(tx)) return 0; // another process put it back meanwhile
                _store.EnsureSchema(tx);
                if (_store.HasAuditGuard(tx)) Append(tx, "audit guard restored (it had been removed by hand)", "open", [], 0);
                return 0;
            });
        }
        catch (DbException)
        {
            // Not the owner: Audit() reports the missing guard.
        }
    }

    private static Dictionary<string, byte[]> ReadMeta(GalleryStore store, DbTransaction? tx) =>
        store.Query(tx, "SELECT name, value FROM meta", r => (r.GetString(0), GalleryStore.Bytes(r, 1))).ToDictionary(m => m.Item1, m => m.Item2);

    private sealed record PersonRecord(string Name, string Purpose, string GivenBy, DateOnly Given, DateOnly Expires, DateTimeOffset Enrolled);

    // A person's record is bound to its row and its tag: swapping records (or tags) between rows makes both fail to open.
    private static string PersonContext(long id, byte[] tag) => "person:" + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Convert.ToHexString(tag);

    private static string DescriptorContext(long person) => "descriptor:" + person.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Everyone, each record opened. A row that does not open is an error, unless <paramref name="unreadable"/> is
    // given: then its id goes there (the purge and the audit still work on a gallery someone tampered with).
    private List<(long Id, PersonRecord Record, int Descriptors)> ReadPeople(DbTransaction? tx, List<long>? unreadable = null)
    {
        var rows = _store.Query(tx, "SELECT p.id, p.tag, p.record, (SELECT COUNT(*) FROM descriptors d WHERE d.person = p.id) FROM people p ORDER BY p.id",
            r => (Id: r.GetInt64(0), Tag: GalleryStore.Bytes(r, 1), Record: GalleryStore.Bytes(r, 2), Descriptors: (int)r.GetInt64(3)));
        var people = new List<(long, PersonRecord, int)>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                people.Add((row.Id, Unseal<PersonRecord>(row.Record, PersonContext(row.Id, row.Tag), $"Person row {row.Id}"), row.Descriptors));
            }
            catch (Exception e) when (unreadable != null && e is GalleryException or JsonException)
            {
                unreadable.Add(row.Id);
            }
        }
        return people;
    }

    private T Unseal<T>(byte[] sealedBytes, string context, string what) =>
        JsonSerializer.Deserialize<T>(_key.Open(sealedBytes, context, what), Json) ?? throw new GalleryException($"{what} is empty.");

    private byte[] SealJson<T>(T value, string context) => _key.Seal(JsonSerializer.SerializeToUtf8Bytes(value, Json), context);

    private void Append(DbTransaction tx, string action, string command, long[] people, int faces) =>
        _audit.Append(tx, new AuditChain.Record(DateTimeOffset.UtcNow, action, command, people, faces));

    // Format 1 sealed everything with the key as given (not one of the gallery's own), sealed audit entries one by
    // one, and made name tags without canonical decomposition (so "José" typed two ways made two tags). The upgrade,
    // in one transaction: the audit chain starts after the last old entry (which stay sealed as they were), and each
    // person and descriptor is opened with the given key and sealed again with the gallery's, each person re-tagged.
    private void UpgradeFromFormat1(DbTransaction tx)
    {
        _audit.ChainLegacy(tx);
        var people = _store.Query(tx, "SELECT id, tag, record FROM people ORDER BY id", r => (Id: r.GetInt64(0), Tag: GalleryStore.Bytes(r, 1), Record: GalleryStore.Bytes(r, 2)))
            .Select(row =>
            {
                var plain = _given.Open(row.Record, PersonContext(row.Id, row.Tag), $"Person row {row.Id}");
                var record = JsonSerializer.Deserialize<PersonRecord>(plain, Json) ?? throw new GalleryException($"Person row {row.Id} is empty.");
                return (row.Id, Plain: plain, Tag: _key.NameTag(record.Name));
            }).ToList();
        foreach (var same in people.GroupBy(p => Convert.ToHexString(p.Tag)).Where(g => g.Count() > 1))
            throw new GalleryException($"Person rows {string.Join(" and ", same.Select(p => p.Id))} of the gallery at {Where} have the same name written in " +
                "different Unicode forms, which an earlier Shikaku kept apart. Forget all but one of them with it before opening the gallery with this one.");
        // Each row's tag is first made unique and meaningless, so that no new tag meets another row's old one.
        foreach (var (id, _, _) in people) _store.Execute(tx, "UPDATE people SET tag = @t WHERE id = @i", ("@t", RandomNumberGenerator.GetBytes(32)), ("@i", id));
        foreach (var (id, plain, tag) in people)
            _store.Execute(tx, "UPDATE people SET tag = @t, record = @r WHERE id = @i", ("@t", tag), ("@r", _key.Seal(plain, PersonContext(id, tag))), ("@i", id));
        // A descriptor that does not open (altered by hand) is left as it is: it reads as altered afterwards, as before.
        foreach (var (id, person, value) in _store.Query(tx, "SELECT id, person, value FROM descriptors ORDER BY id", r => (r.GetInt64(0), r.GetInt64(1), GalleryStore.Bytes(r, 2))))
        {
            byte[] plain;
            try
            {
                plain = _given.Open(value, DescriptorContext(person), $"A descriptor of person row {person}");
            }
            catch (GalleryException)
            {
                continue;
            }
            _store.Execute(tx, "UPDATE descriptors SET value = @v WHERE id = @i", ("@v", _key.Seal(plain, DescriptorContext(person))), ("@i", id));
        }
        PutMeta(_store, tx, "format", Encoding.ASCII.GetBytes(Format));
        PutMeta(_store, tx, "check", _key.Seal("shikaku-gallery"u8, CheckContext(Format)));
    }

    internal static void PutMeta(GalleryStore store, DbTransaction tx, string name, byte[] value) =>
        store.Execute(tx, "INSERT INTO meta (name, value) VALUES (@n, @v) ON CONFLICT (name) DO UPDATE SET value = excluded.value", ("@n", name), ("@v", value));

    /// <summary>
    /// Enrols <paramref name="name"/> with <paramref name="descriptors"/> (one or more, 128 finite numbers each, from
    /// <see cref="Model"/>) under <paramref name="consent"/>. A person already enrolled gains the descriptors and the
    /// new consent. All of it is one transaction: an error part way leaves the gallery as it was.
    /// </summary>
    public GalleryPerson Enroll(string name, Consent consent, IEnumerable<float[]> descriptors, string command)
    {
        ArgumentNullException.ThrowIfNull(consent);
        ArgumentNullException.ThrowIfNull(descriptors);
        Validate(name, consent, _today());
        var tag = _key.NameTag(name);
        return _store.InTransaction(tx =>
        {
            var record = new PersonRecord(name.Trim(), consent.Purpose, consent.GivenBy, consent.Given, consent.Expires, DateTimeOffset.UtcNow);
            var existing = _store.Query(tx, "SELECT id FROM people WHERE tag = @t", r => r.GetInt64(0), ("@t", tag));
            long id;
            // The row's id is part of its seal: a new row is inserted first (with an empty record), then sealed in place.
            id = existing.Count == 1 ? existing[0]
                : _store.Query(tx, "INSERT INTO people (tag, record) VALUES (@t, @r) RETURNING id", r => r.GetInt64(0), ("@t", tag), ("@r", Array.Empty<byte>()))[0];
            _store.Execute(tx, "UPDATE people SET record = @r WHERE id = @i", ("@r", SealJson(record, PersonContext(id, tag))), ("@i", id));
            int added = 0;
            foreach (var d in descriptors)
            {
                _store.Execute(tx, "INSERT INTO descriptors (person, value) VALUES (@p, @v)", ("@p", id), ("@v", _key.Seal(Bytes(Check(d)), DescriptorContext(id))));
                added++;
            }
            if (added == 0) throw new GalleryException($"No face descriptor was given for {name}; nothing was stored.");
            Append(tx, "enroll", command, [id], added);
            int total = (int)_store.Query(tx, "SELECT COUNT(*) FROM descriptors WHERE person = @p", r => r.GetInt64(0), ("@p", id))[0];
            return new GalleryPerson(id, record.Name, consent, total, record.Enrolled);
        });
    }

    /// <summary>
    /// Checks a name (1 to 200 printable characters) and a consent (a purpose, who gave it, not expired on
    /// <paramref name="today"/>, not expiring before it was given), before any photo is read or any row written.
    /// </summary>
    public static void Validate(string name, Consent consent, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(consent);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Any(ch => char.IsControl(ch) || char.GetUnicodeCategory(ch) == System.Globalization.UnicodeCategory.Format))
            throw new GalleryException("A name is 1 to 200 printable characters (no control or invisible formatting characters).");
        if (GalleryKey.Normalize(name) == GalleryKey.Normalize(Unknown)) throw new GalleryException($"\"{Unknown}\" is the answer for a face nobody enrolled is close to; choose another name.");
        if (string.IsNullOrWhiteSpace(consent.Purpose) || string.IsNullOrWhiteSpace(consent.GivenBy))
            throw new GalleryException("A consent record names its purpose and who gave it (--consent \"shown in the club newsletter\").");
        if (consent.Expires < today) throw new GalleryException($"The consent expires on {consent.Expires:yyyy-MM-dd}, which has passed; nothing is stored under an expired consent.");
        if (consent.Expires < consent.Given) throw new GalleryException($"The consent expires ({consent.Expires:yyyy-MM-dd}) before it was given ({consent.Given:yyyy-MM-dd}).");
    }

    private static float[] Check(float[] descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.Length != DescriptorLength) throw new GalleryException($"A descriptor has {DescriptorLength} numbers; this one has {descriptor.Length}.");
        foreach (float v in descriptor)
            if (!float.IsFinite(v)) throw new GalleryException("A descriptor holds a value that is not a finite number; nothing was stored.");
        return descriptor;
    }

    private static byte[] Bytes(float[] descriptor) => MemoryMarshal.AsBytes(descriptor.AsSpan()).ToArray();

    /// <summary>Everyone enrolled, by name, with their consent and how many descriptors they have.</summary>
    public IReadOnlyList<GalleryPerson> People() =>
        ReadPeople(null).Select(p => new GalleryPerson(p.Id, p.Record.Name, ConsentOf(p.Record), p.Descriptors, p.Record.Enrolled))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    private static Consent ConsentOf(PersonRecord r) => new(r.Purpose, r.GivenBy, r.Given, r.Expires);

    /// <summary>One person, or null when nobody of that name is enrolled.</summary>
    public GalleryPerson? Find(string name)
    {
        var tag = _key.NameTag(name);
        var rows = _store.Query(null, "SELECT p.id, p.record, (SELECT COUNT(*) FROM descriptors d WHERE d.person = p.id) FROM people p WHERE p.tag = @t",
            r => (r.GetInt64(0), Unseal<PersonRecord>(GalleryStore.Bytes(r, 1), PersonContext(r.GetInt64(0), tag), $"Person row {r.GetInt64(0)}"), (int)r.GetInt64(2)), ("@t", tag));
        return rows.Count == 0 ? null : new GalleryPerson(rows[0].Item1, rows[0].Item2.Name, ConsentOf(rows[0].Item2), rows[0].Item3, rows[0].Item2.Enrolled);
    }

    /// <summary>
    /// Erases <paramref name="name"/>: their person and descriptor rows are deleted and the erasure audited (one
    /// transaction), then the store is compacted so the deleted bytes leave its files. If the compaction cannot run now
    /// (it failed, or this PostgreSQL role does not own the tables) it stays pending, and every later opening by a
    /// connection that can compact does it.
    /// </summary>
    public Erasure Forget(string name, string command)
    {
        var tag = _key.NameTag(name);
        bool gone = _store.InTransaction(tx =>
        {
            var ids = _store.Query(tx, "SELECT id FROM people WHERE tag = @t", r => r.GetInt64(0), ("@t", tag));
            if (ids.Count == 0) return false;
            Delete(tx, ids[0], "forget", command);
            return true;
        });
        return !gone ? Erasure.NobodyOfThatName : CompactPending() ? Erasure.Erased : Erasure.ErasedCompactionPending;
    }

    // A person's rows deleted, the erasure audited and the compaction marked pending, in the caller's transaction.
    private void Delete(DbTransaction tx, long person, string action, string command)
    {
        int descriptors = _store.Execute(tx, "DELETE FROM descriptors WHERE person = @p", ("@p", person));
        _store.Execute(tx, "DELETE FROM people WHERE id = @p", ("@p", person));
        Append(tx, action, command, [person], descriptors);
        // A new token each time: a compaction that began before this deletion does not clear it (see CompactPending).
        PutMeta(_store, tx, CompactionPending, RandomNumberGenerator.GetBytes(16));
    }

    private const string CompactionPending = "compaction_pending";

    /// <summary>True when deleted rows still wait for the compaction that takes their bytes out of the store's files.</summary>
    public bool AwaitsCompaction => _store.Query(null, "SELECT COUNT(*) FROM meta WHERE name = @n", r => r.GetInt64(0), ("@n", CompactionPending))[0] > 0;

    /// <summary>Why the last compaction did not happen (the store's error, or a missing right), for the user; null when it did.</summary>
    public string? CompactionProblem { get; private set; }

    // Compacts if an erasure left it pending; true when nothing is pending any more. A store that is busy (another
    // process reading) or refuses leaves it pending, to be done at a later opening: the erasure itself has landed, so
    // nothing here may fail the caller. The token read before compacting is cleared only if it is still there after:
    // an erasure committed while the compaction ran (in another process) leaves a new one, compacted in the next round.
    private bool CompactPending()
    {
        try
        {
            for (int round = 0; round < 3; round++)
            {
                var token = _store.Query(null, "SELECT value FROM meta WHERE name = @n", r => GalleryStore.Bytes(r, 0), ("@n", CompactionPending));
                if (token.Count == 0)
                {
                    CompactionProblem = null;
                    return true;
                }
                if (!_store.TryCompact(out var problem))
                {
                    CompactionProblem = problem;
                    return false;
                }
                _store.Execute(null, "DELETE FROM meta WHERE name = @n AND value = @v", ("@n", CompactionPending), ("@v", token[0]));
            }
            CompactionProblem = "other erasures kept arriving while it ran; the next opening compacts again";
            return !AwaitsCompaction;
        }
        catch (DbException e)
        {
            CompactionProblem = e.Message.Split('\n')[0].TrimEnd('.');
            return false;
        }
    }

    /// <summary>
    /// Deletes everyone whose consent has expired (audited as a purge) and compacts the store if anyone went, or if an
    /// earlier erasure's compaction is still pending. Gives how many were purged.
    /// </summary>
    public int PurgeExpired()
    {
        var today = _today();
        int purged = 0;
        // Looked for first without the write lock: most openings find nobody expired and write nothing.
        if (ReadPeople(null, []).Any(p => p.Record.Expires < today))
            purged = _store.InTransaction(tx =>
            {
                var expired = ReadPeople(tx, []).Where(p => p.Record.Expires < today).ToList();
                foreach (var p in expired) Delete(tx, p.Id, "purge (consent expired)", "open");
                return expired.Count;
            });
        CompactPending();
        return purged;
    }

    /// <summary>
    /// Every descriptor of everyone whose consent holds today, opened into memory for the search: a flat array of
    /// 128 floats per row and the person each row belongs to.
    /// </summary>
    public GalleryIndex LoadIndex()
    {
        var today = _today();
        var people = ReadPeople(null).Where(p => p.Record.Expires >= today).ToDictionary(p => p.Id, p => p.Record.Name);
        long rows = _store.Query(null, "SELECT COUNT(*) FROM descriptors", r => r.GetInt64(0))[0];
        if (rows > int.MaxValue / DescriptorLength) throw new GalleryException($"The gallery holds {rows:N0} descriptors; one search holds at most {int.MaxValue / DescriptorLength:N0} in memory.");
        // One array for all, filled in place: no per-row buffers, a million descriptors in 512 MB.
        var vectors = GC.AllocateUninitializedArray<float>((int)rows * DescriptorLength);
        var owners = new long[rows];
        var contexts = new Dictionary<long, byte[]>();
        int n = 0;
        using var command = _store.Command(null, "SELECT person, value FROM descriptors");
        using var reader = command.ExecuteReader();
        while (reader.Read() && n < rows)
        {
            long person = reader.GetInt64(0);
            if (!people.ContainsKey(person)) continue;
            if (!contexts.TryGetValue(person, out var context)) contexts[person] = context = Encoding.UTF8.GetBytes(DescriptorContext(person));
            var target = MemoryMarshal.AsBytes(vectors.AsSpan(n * DescriptorLength, DescriptorLength));
            _key.OpenInto(GalleryStore.Bytes(reader, 1), target, context, $"A descriptor of person row {person}");
            owners[n++] = person;
        }
        return new GalleryIndex(n == rows ? vectors : vectors[..(n * DescriptorLength)], n == rows ? owners : owners[..n], people);
    }

    /// <summary>
    /// Names each face of <paramref name="faces"/>: the nearest enrolled person within <paramref name="threshold"/>, and
    /// at least <paramref name="margin"/> nearer than anyone else; otherwise unknown. The identification is audited
    /// (the command, the names matched, how many faces; never the image or its descriptors).
    /// </summary>
    public IReadOnlyList<GalleryMatch> Identify(IReadOnlyList<float[]> faces, double threshold, double margin, string command, GalleryIndex? index = null)
    {
        ArgumentNullException.ThrowIfNull(faces);
        index ??= LoadIndex();
        var matches = faces.Select(f => index.Match(Check(f), threshold, margin)).ToList();
        var named = matches.Where(m => m.Known).Select(m => index.IdOf(m.Name)).Distinct().ToArray();
        _store.InTransaction(tx =>
        {
            Append(tx, "identify", command, named, faces.Count);
            return 0;
        });
        return matches;
    }

    /// <summary>
    /// The audit log, oldest first, checked link by link; people still enrolled by name, forgotten ones as
    /// "(forgotten #id)", each entry that opens; <see cref="AuditLog.Breaks"/> says where the chain is broken and how.
    /// Read in one snapshot, so an identification made meanwhile is not taken for a break.
    /// </summary>
    public AuditLog Audit() => _store.InSnapshot(tx =>
    {
        var unreadable = new List<long>();
        var names = ReadPeople(tx, unreadable).ToDictionary(p => p.Id, p => p.Record.Name);
        var log = _audit.Read(tx, id => names.TryGetValue(id, out var n) ? n : unreadable.Contains(id) ? $"(unreadable #{id})" : $"(forgotten #{id})", _store.HasAuditGuard(tx));
        return UpkeepProblem == null ? log : log with { Breaks = [.. log.Breaks, $"On opening the gallery, {UpkeepProblem}"] };
    });

    /// <summary>How many people and descriptors the gallery holds: all that its files show without the key.</summary>
    public (int People, int Descriptors) Counts() =>
        ((int)_store.Query(null, "SELECT COUNT(*) FROM people", r => r.GetInt64(0))[0], (int)_store.Query(null, "SELECT COUNT(*) FROM descriptors", r => r.GetInt64(0))[0]);

    public void Dispose()
    {
        _key.Dispose();
        if (_ownsGiven) _given.Dispose();
    }
}

/// <summary>
/// The in-memory search over a gallery's opened descriptors: one pass of SIMD distances (TensorPrimitives) over a
/// flat float array, the nearest descriptor per person kept.
/// </summary>
public sealed class GalleryIndex
{
    private readonly float[] _vectors;
    private readonly long[] _owners;
    private readonly IReadOnlyDictionary<long, string> _names;

    /// <summary>An index over <paramref name="vectors"/> (128 floats per row), row i belonging to person <paramref name="owners"/>[i].</summary>
    public GalleryIndex(float[] vectors, long[] owners, IReadOnlyDictionary<long, string> names)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(owners);
        if (vectors.Length != owners.Length * ConsentGallery.DescriptorLength) throw new ArgumentException("The index needs 128 numbers per owner.", nameof(vectors));
        _vectors = vectors;
        _owners = owners;
        _names = names;
    }

    /// <summary>Descriptors in the index.</summary>
    public int Count => _owners.Length;

    /// <summary>Bytes the descriptors take in memory.</summary>
    public long Bytes => (long)_vectors.Length * sizeof(float) + (long)_owners.Length * sizeof(long);

    internal long IdOf(string name) => _names.First(n => n.Value == name).Key;

    /// <summary>The nearest person to <paramref name="face"/>, as <see cref="ConsentGallery.Identify"/> decides.</summary>
    public GalleryMatch Match(float[] face, double threshold, double margin)
    {
        ArgumentNullException.ThrowIfNull(face);
        if (Count == 0) return new GalleryMatch(ConsentGallery.Unknown, double.NaN, null);
        var q = face.AsSpan();
        long best = -1, second = -1;
        double bestDistance = double.MaxValue, secondDistance = double.MaxValue;
        for (int i = 0; i < _owners.Length; i++)
        {
            double d = TensorPrimitives.Distance(_vectors.AsSpan(i * ConsentGallery.DescriptorLength, ConsentGallery.DescriptorLength), q);
            long owner = _owners[i];
            if (d < bestDistance)
            {
                if (owner != best)
                {
                    second = best;
                    secondDistance = bestDistance;
                }
                best = owner;
                bestDistance = d;
            }
            else if (owner != best && d < secondDistance)
            {
                second = owner;
                secondDistance = d;
            }
        }
        if (best < 0) return new GalleryMatch(ConsentGallery.Unknown, double.PositiveInfinity, null); // every distance overflowed
        string nearest = _names[best];
        bool known = bestDistance < threshold && (second < 0 || secondDistance - bestDistance >= margin);
        return new GalleryMatch(known ? nearest : ConsentGallery.Unknown, bestDistance, nearest);
    }
}
