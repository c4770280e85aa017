using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Shikaku.Gallery;

/// <summary>
/// The gallery's audit log as a chain. Each entry carries, in the clear, its number and the number and hash of the
/// entry its writer saw as the last one, and is sealed (AES-GCM) with those as its context, so they cannot be changed;
/// the gallery keeps the last entry's number and hash, sealed, as the head. Reading checks every entry: each that opens
/// is listed, and each place where an entry does not follow the one before it (one inserted, copied, removed,
/// renumbered or altered), where entries were cut from the end, or where a row is not the gallery's, is reported. An
/// entry written after such a change chains to the head, not to what was left, so the change stays visible; one
/// written when the head itself was gone says so. Entries of a format-1 gallery (sealed one by one) are covered as a
/// block by a digest sealed when it was upgraded.
/// </summary>
internal sealed class AuditChain(GalleryStore store, GalleryKey key, GalleryKey legacyKey)
{
    internal sealed record Record(DateTimeOffset At, string Action, string Command, long[] People, int Faces);

    private const string HeadName = "audit_head", HeadContext = "audit-head", LegacyName = "audit_unchained_below", LegacyContext = "audit-unchained-below";
    private static readonly JsonSerializerOptions Json = new();
    private static readonly byte[] Nothing = new byte[32];

    // An entry: "c1 SEQ PREVSEQ PREVHASH\n" then the sealed record, whose context is that header.
    private readonly record struct Link(long Seq, long PreviousSeq, byte[] PreviousHash);

    /// <summary>True when <paramref name="meta"/> holds a record only the chain writes (a format-1 gallery has none).</summary>
    public static bool IsChained(IReadOnlyDictionary<string, byte[]> meta) => meta.ContainsKey(HeadName) || meta.ContainsKey(LegacyName);

    /// <summary>The head of a new gallery: no entry yet. Written with the gallery, so an emptied log is never taken for a new one.</summary>
    public void Start(DbTransaction tx) => PutHead(tx, 0, Nothing);

    /// <summary>Appends <paramref name="record"/> after the head, and checks that it landed as written.</summary>
    public void Append(DbTransaction tx, Record record)
    {
        // A head that is missing or does not open was removed or altered by hand: the entry says it follows an unknown
        // one (-1), which reading reports, and takes the number after the highest there is.
        var head = ReadHead(tx, out _);
        var link = head is { } h ? new Link(h.Seq + 1, h.Seq, h.Hash) : new Link(HighestSeq(tx) + 1, -1, Nothing);
        string header = Header(link);
        var entry = Encoding.ASCII.GetBytes(header + "\n").Concat(key.Seal(JsonSerializer.SerializeToUtf8Bytes(record, Json), header)).ToArray();
        long last = store.Query(tx, "SELECT COALESCE(MAX(id), 0) FROM audit", r => r.GetInt64(0))[0];
        if (last == long.MaxValue)
            throw new GalleryException($"The audit table holds a row numbered {last}, put there by hand, and no entry can follow it. The tables' owner can " +
                "drop the audit's triggers, delete that row and open the gallery again (which puts the triggers back).");
        // An insert swallowed or rewritten on the way (a trigger or rule added by hand) must not pass for an entry written.
        if (store.Execute(tx, "INSERT INTO audit (id, entry) VALUES (@i, @e)", ("@i", last + 1), ("@e", entry)) != 1
            || store.Query(tx, "SELECT entry FROM audit WHERE id = @i", r => GalleryStore.Bytes(r, 0), ("@i", last + 1)) is not [var stored] || !stored.AsSpan().SequenceEqual(entry))
            throw new GalleryException("The audit entry was not stored as written: the audit table was changed by hand (a trigger or rule on it). Nothing was done.");
        PutHead(tx, link.Seq, SHA256.HashData(entry));
    }

    // The highest entry number in the log: of the entries that open, and of the format-1 rows.
    private long HighestSeq(DbTransaction tx)
    {
        long below = ReadLegacy(tx, out _)?.Below ?? 1;
        return Rows(tx).Select(r => r.Id < below ? r.Id : Parse(r.Entry) is { } l && OpenRecord(Sealed(r.Entry), Header(l)) != null ? l.Seq : 0).DefaultIfEmpty(0).Max();
    }

    /// <summary>
    /// Format 1 to 2: the entries so far stood alone. A digest of all of them is sealed as the boundary, and the chain
    /// goes on from the last of them (numbered as its row).
    /// </summary>
    public void ChainLegacy(DbTransaction tx)
    {
        var rows = Rows(tx);
        long below = rows.Count == 0 ? 1 : rows[^1].Id + 1;
        PutMeta(tx, LegacyName, key.Seal(Encoding.ASCII.GetBytes(below.ToString(CultureInfo.InvariantCulture) + ":" + Convert.ToHexString(Digest(rows))), LegacyContext));
        if (rows.Count == 0) PutHead(tx, 0, Nothing);
        else PutHead(tx, rows[^1].Id, SHA256.HashData(rows[^1].Entry));
    }

    /// <summary>Every entry that opens, in order, and every break; <paramref name="name"/> names a person's row id.</summary>
    public AuditLog Read(DbTransaction tx, Func<long, string> name, bool guarded)
    {
        var rows = Rows(tx);
        var breaks = new List<string>();
        long below = 1;
        if (ReadLegacy(tx, out string? unopened) is { } legacy)
        {
            below = legacy.Below;
            if (Convert.ToHexString(Digest(rows.Where(r => r.Id < below).ToList())) != legacy.Digest)
                breaks.Add($"The entries from before format 2 (rows 1 to {below - 1}) were altered, removed or added to by hand.");
        }
        else if (unopened != null) breaks.Add($"The record of the log's format-1 entries does not open ({unopened.TrimEnd('.')}): it was altered by hand.");
        else if (HasLegacyHead(rows)) breaks.Add("The record of the log's format-1 entries is missing: it was removed by hand.");

        // First every row on its own: what it is, and whether it opens.
        var opened = new List<(long Row, long Seq, Link? Link, byte[] Hash, Record? Record)>();
        foreach (var (id, entry) in rows)
        {
            if (id < below)
            {
                opened.Add((id, id, null, SHA256.HashData(entry), OpenRecord(entry, "audit", legacyKey)));
                continue;
            }
            if (Parse(entry) is not { } link)
            {
                breaks.Add($"Row {id} of the audit table is not an entry the gallery wrote: it was inserted or altered by hand.");
                continue;
            }
            opened.Add((id, link.Seq, link, SHA256.HashData(entry), OpenRecord(Sealed(entry), Header(link))));
        }
        var firstWithHash = new Dictionary<string, (long Row, long Seq)>();
        foreach (var o in opened.Where(o => o.Record != null)) firstWithHash.TryAdd(Convert.ToHexString(o.Hash), (o.Row, o.Seq));

        // Then the chain, row by row.
        var entries = new List<AuditEntry>();
        long lastSeq = 0;
        byte[] lastHash = Nothing;
        foreach (var (row, seq, link, hash, record) in opened)
        {
            if (record == null)
            {
                breaks.Add($"Row {row} of the audit table (entry {seq}) does not open: it was altered, or put there by hand.");
                continue;
            }
            if (firstWithHash[Convert.ToHexString(hash)].Row != row)
            {
                breaks.Add($"Row {row} of the audit table is a copy of entry {seq} (row {firstWithHash[Convert.ToHexString(hash)].Row}), put there by hand.");
                continue;
            }
            if (link is { } l && (l.PreviousSeq != lastSeq || !l.PreviousHash.AsSpan().SequenceEqual(lastHash)))
            {
                if (l.PreviousSeq == -1)
                    breaks.Add($"Entry {seq} was written when the record of the log's last entry was missing or altered: the entries before it cannot be vouched for.");
                else if (firstWithHash.TryGetValue(Convert.ToHexString(l.PreviousHash), out var before))
                    breaks.Add($"Entry {seq} follows entry {before.Seq} (row {before.Row}), not entry {lastSeq}: rows were reordered, or entries put between them, by hand.");
                else if (l.PreviousSeq > lastSeq)
                    breaks.Add((l.PreviousSeq == lastSeq + 1 ? $"Entry {lastSeq + 1} is" : $"Entries {lastSeq + 1} to {l.PreviousSeq} are") +
                        $" missing before entry {seq}: removed or altered by hand.");
                else
                    breaks.Add($"Entry {seq} follows entry {l.PreviousSeq}, which is missing or altered, not entry {lastSeq}: rows were removed, altered or moved by hand.");
            }
            entries.Add(new AuditEntry(seq, record.At, record.Action, record.Command, record.People.Select(name).ToList(), record.Faces));
            lastSeq = seq;
            lastHash = hash;
        }

        var head = ReadHead(tx, out string? problem);
        if (head == null) breaks.Add($"The record of the log's last entry {problem}: it was removed or altered by hand.");
        else if (head.Value.Seq != lastSeq || !head.Value.Hash.AsSpan().SequenceEqual(lastHash))
        {
            if (firstWithHash.TryGetValue(Convert.ToHexString(head.Value.Hash), out var at))
                breaks.Add($"The last entry the gallery wrote is entry {at.Seq} (row {at.Row}); the rows after it were added or moved there by hand.");
            else if (head.Value.Seq > lastSeq)
                breaks.Add($"The log ends at entry {lastSeq}, but the last entry the gallery wrote was entry {head.Value.Seq}: entries were removed from its end.");
            else
                breaks.Add($"The record of the log's last entry does not match entry {lastSeq}: the record, or the log, was put back from an older copy.");
        }
        if (!guarded)
            breaks.Add("The log's append-only guard (the store's triggers) was removed, disabled or changed by hand; opening the gallery as the " +
                "tables' owner puts it back, and records that it did.");
        return new AuditLog(entries, breaks);
    }

    // Rows in the format-1 form (sealed values, no header) where the chain has no record of format-1 entries.
    private static bool HasLegacyHead(List<(long Id, byte[] Entry)> rows) => rows.Count > 0 && rows[0].Entry is [1, ..];

    // The format-1 boundary: the first chained row and the digest of the rows before it; null when there is none
    // (then <paramref name="problem"/> is null) or when it does not open (then it says why).
    private (long Below, string Digest)? ReadLegacy(DbTransaction tx, out string? problem)
    {
        problem = null;
        var legacy = store.Query(tx, "SELECT value FROM meta WHERE name = @n", r => GalleryStore.Bytes(r, 0), ("@n", LegacyName));
        if (legacy.Count == 0) return null;
        try
        {
            var parts = Encoding.ASCII.GetString(key.Open(legacy[0], LegacyContext, "The audit's format-1 record")).Split(':');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), parts[1]);
        }
        catch (GalleryException e)
        {
            problem = e.Message;
            return null;
        }
    }

    private Record? OpenRecord(byte[] sealedRecord, string context, GalleryKey? with = null)
    {
        try
        {
            return JsonSerializer.Deserialize<Record>((with ?? key).Open(sealedRecord, context, "An audit entry"), Json);
        }
        catch (Exception e) when (e is GalleryException or JsonException)
        {
            return null;
        }
    }

    private static byte[] Sealed(byte[] entry) => entry.AsSpan(HeaderLength(entry)).ToArray();

    private static string Header(Link l) =>
        string.Create(CultureInfo.InvariantCulture, $"c1 {l.Seq} {l.PreviousSeq} {Convert.ToHexString(l.PreviousHash)}");

    private static int HeaderLength(byte[] entry) => Array.IndexOf(entry, (byte)'\n', 0, Math.Min(entry.Length, 128)) + 1;

    private static Link? Parse(byte[] entry)
    {
        int end = HeaderLength(entry) - 1;
        if (end <= 0) return null;
        var parts = Encoding.ASCII.GetString(entry, 0, end).Split(' ');
        if (parts.Length != 4 || parts[0] != "c1" || parts[3].Length != 64
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long seq)
            || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long previous)) return null;
        Link link;
        try
        {
            link = new Link(seq, previous, Convert.FromHexString(parts[3]));
        }
        catch (FormatException)
        {
            return null;
        }
        // Only the header as the gallery writes it (no leading zeros, no sign, upper-case hex): the seal covers that text.
        return Header(link) == Encoding.ASCII.GetString(entry, 0, end) ? link : null;
    }

    private List<(long Id, byte[] Entry)> Rows(DbTransaction? tx) => store.Query(tx, "SELECT id, entry FROM audit ORDER BY id", r => (r.GetInt64(0), GalleryStore.Bytes(r, 1)));

    // The format-1 entries as one value: each id and the hash of its sealed bytes, in order.
    private static byte[] Digest(IReadOnlyList<(long Id, byte[] Entry)> rows)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> id = stackalloc byte[8];
        foreach (var (rowId, entry) in rows)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(id, rowId);
            hash.AppendData(id);
            hash.AppendData(SHA256.HashData(entry));
        }
        return hash.GetHashAndReset();
    }

    private (long Seq, byte[] Hash)? ReadHead(DbTransaction? tx, out string? problem)
    {
        var value = store.Query(tx, "SELECT value FROM meta WHERE name = @n", r => GalleryStore.Bytes(r, 0), ("@n", HeadName));
        problem = "is missing";
        if (value.Count == 0) return null;
        try
        {
            var parts = Encoding.ASCII.GetString(key.Open(value[0], HeadContext, "The audit's last-entry record")).Split(':');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), Convert.FromHexString(parts[1]));
        }
        catch (GalleryException)
        {
            problem = "does not open";
            return null;
        }
    }

    private void PutHead(DbTransaction tx, long seq, byte[] hash) =>
        PutMeta(tx, HeadName, key.Seal(Encoding.ASCII.GetBytes(seq.ToString(CultureInfo.InvariantCulture) + ":" + Convert.ToHexString(hash)), HeadContext));

    private void PutMeta(DbTransaction tx, string name, byte[] value) => ConsentGallery.PutMeta(store, tx, name, value);
}
