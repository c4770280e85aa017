using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Shikaku.Gallery;

/// <summary>
/// Where a gallery's rows live: the same four tables (meta, people, descriptors, audit) and the same behaviour on
/// SQLite (one file, no server) and PostgreSQL (a server several machines share). It stores only what
/// <see cref="ConsentGallery"/> has sealed; it knows nothing of names or faces.
/// </summary>
public abstract class GalleryStore : IDisposable
{
    private protected GalleryStore(DbConnection connection, string where)
    {
        Connection = connection;
        Where = where;
    }

    /// <summary>The open connection.</summary>
    private protected DbConnection Connection { get; }

    /// <summary>Where the gallery is, for messages: the SQLite path, or the PostgreSQL host and database (no password).</summary>
    public string Where { get; }

    /// <summary>
    /// The store named by <paramref name="location"/>: <c>postgres://user@host:port/db</c> (or <c>postgresql://</c>,
    /// or an Npgsql connection string <c>Host=...</c>) for PostgreSQL; anything else is a SQLite file path.
    /// </summary>
    public static GalleryStore Open(string location)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        if (location.StartsWith("postgres://", StringComparison.Ordinal) || location.StartsWith("postgresql://", StringComparison.Ordinal))
            return PostgresGalleryStore.Connect(PostgresGalleryStore.FromUri(location));
        if (location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase)) return PostgresGalleryStore.Connect(location);
        return SqliteGalleryStore.Connect(location);
    }

    /// <summary>Runs <paramref name="work"/> in one transaction that takes the write lock at once: all of it lands, or none.</summary>
    public T InTransaction<T>(Func<DbTransaction, T> work) => Run(Begin, work);

    /// <summary>Runs <paramref name="read"/> on one consistent snapshot of the store, without taking the write lock.</summary>
    public T InSnapshot<T>(Func<DbTransaction, T> read) => Run(BeginSnapshot, read);

    private static T Run<T>(Func<DbTransaction> begin, Func<DbTransaction, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var tx = begin();
        var result = work(tx);
        tx.Commit();
        return result;
    }

    private protected abstract DbTransaction Begin();

    private protected abstract DbTransaction BeginSnapshot();

    /// <summary>Creates the tables and the audit's append-only triggers if they are missing (inside <paramref name="tx"/>).</summary>
    public abstract void EnsureSchema(DbTransaction tx);

    /// <summary>
    /// True when the four tables are there, false when none is (read without a lock or any right beyond reading the
    /// catalogue); some but not all is a damaged gallery, and an error that says which are missing.
    /// </summary>
    public bool HasSchema()
    {
        var present = TablesPresent();
        if (present.Count == 0) return false;
        if (present.Count == Tables.Length) return true;
        throw new GalleryException($"The gallery at {Where} has lost its table(s) {string.Join(", ", Tables.Except(present))}: it was damaged or changed by hand.");
    }

    private protected abstract IReadOnlyCollection<string> TablesPresent();

    /// <summary>
    /// Tables that are not the gallery's, where a new gallery would go: a SQLite file of another program is not made a
    /// gallery. (A PostgreSQL schema may rightly hold other tables beside the gallery's; none are named there.)
    /// </summary>
    public virtual IReadOnlyList<string> OtherTables() => [];

    private protected static readonly string[] Tables = ["meta", "people", "descriptors", "audit"];

    private protected static string TableList => string.Join(", ", Tables.Select(t => $"'{t}'"));

    /// <summary>
    /// Gives the freed pages' bytes back after rows were deleted, so nothing of them stays in the database files. False,
    /// with the reason, when it could not (on PostgreSQL only the tables' owner may rewrite them; a busy store); the
    /// caller keeps it pending.
    /// </summary>
    public abstract bool TryCompact(out string? problem);

    /// <summary>True when the audit's append-only triggers are there (and enabled).</summary>
    public abstract bool HasAuditGuard(DbTransaction? tx = null);

    /// <summary>The files the gallery's rows live in (for the erasure test and for the user to know).</summary>
    public abstract IReadOnlyList<string> Files(DbTransaction? tx = null);

    /// <summary>A command in <paramref name="tx"/> with @-named parameters.</summary>
    public DbCommand Command(DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = Connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>
    /// The bytes in column <paramref name="i"/>; none for a value of another type (SQLite lets a hand-written row put
    /// text or a number in a BLOB column), which then fails to open like any altered value instead of crashing the read.
    /// </summary>
    public static byte[] Bytes(DbDataReader row, int i)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.GetValue(i) as byte[] ?? [];
    }

    /// <summary>Runs a statement, giving the rows it changed.</summary>
    public int Execute(DbTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Each row of a query, read by <paramref name="read"/>.</summary>
    public List<T> Query<T>(DbTransaction? tx, string sql, Func<DbDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    public void Dispose() => Connection.Dispose();
}

/// <summary>The embedded store: one SQLite file, secure_delete on (deleted rows are overwritten with zeros), VACUUM after an erasure.</summary>
public sealed class SqliteGalleryStore : GalleryStore
{
    private readonly string _path;

    private SqliteGalleryStore(SqliteConnection connection, string path) : base(connection, path) => _path = path;

    /// <summary>Opens (creating the folder and file if needed) the gallery file at <paramref name="path"/>.</summary>
    public static SqliteGalleryStore Connect(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new GalleryException($"--gallery {path} is a folder; give a file name such as {Path.Combine(path, "gallery.db")}.");
        if (File.Exists(full))
        {
            try
            {
                Shikaku.IO.SafeFile.EnsureRegular(full, "a gallery"); // SQLite would wait forever on a FIFO
            }
            catch (IOException e)
            {
                throw new GalleryException($"--gallery {e.Message}");
            }
        }
        string? folder = Path.GetDirectoryName(full);
        if (folder != null) Directory.CreateDirectory(folder);
        // Biometric data: a new gallery file (and the journal SQLite makes beside it, which takes its mode) is its owner's only.
        if (!File.Exists(full) && !OperatingSystem.IsWindows())
        {
            try
            {
                using (new FileStream(full, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite })) { }
            }
            catch (IOException) when (File.Exists(full))
            {
                // Another process made it at the same moment: open theirs.
            }
        }
        // A writer waits up to 30 s for another process's transaction instead of failing at once.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 30 }.ToString());
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            // The catalogue read at once: a file that is not a database fails here, with the message below.
            pragma.CommandText = "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON; PRAGMA busy_timeout = 30000;";
            pragma.ExecuteNonQuery();
            pragma.CommandText = "SELECT COUNT(*) FROM sqlite_master";
            pragma.ExecuteScalar();
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new GalleryException($"{path} cannot be opened as a gallery: {e.Message.TrimEnd('.')}. Is it a gallery file?");
        }
        return new SqliteGalleryStore(connection, full);
    }

    // BEGIN IMMEDIATE: the write lock is taken at the start, so two enrolments queue instead of deadlocking.
    private protected override DbTransaction Begin() => ((SqliteConnection)Connection).BeginTransaction(deferred: false);

    // A deferred transaction takes a shared lock at its first read and keeps it: the reads see one state of the file.
    private protected override DbTransaction BeginSnapshot() => ((SqliteConnection)Connection).BeginTransaction(deferred: true);

    public override void EnsureSchema(DbTransaction tx)
    {
        CreateTables(tx);
        // Any other trigger on the audit (one that swallows inserts, say) is not the gallery's: it goes.
        foreach (string other in Query(tx, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit' COLLATE NOCASE AND name NOT IN ('audit_no_update', 'audit_no_delete')", r => r.GetString(0)))
            Execute(tx, $"DROP TRIGGER \"{other.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
    }

    private void CreateTables(DbTransaction tx) => Execute(tx, """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY AUTOINCREMENT, tag BLOB NOT NULL UNIQUE, record BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS descriptors (id INTEGER PRIMARY KEY AUTOINCREMENT,
            person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE, value BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS descriptors_person ON descriptors(person);
        CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL);
        DROP TRIGGER IF EXISTS audit_no_update;
        DROP TRIGGER IF EXISTS audit_no_delete;
        """ + $"{NoUpdate};\n{NoDelete};"); // made anew: one of the same name that does something else is replaced

    private protected override IReadOnlyCollection<string> TablesPresent() =>
        Query(null, $"SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({TableList})", r => r.GetString(0));

    public override IReadOnlyList<string> OtherTables() =>
        Query(null, $"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ({TableList}) AND name NOT LIKE 'sqlite_%' ORDER BY name", r => r.GetString(0));

    private const string NoUpdate = "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END";
    private const string NoDelete = "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END";

    // The triggers as SQLite keeps them, word for word, and no others on the table: one of the same name that does
    // something else is no guard, and one added (that swallows inserts, say) is a change by hand.
    public override bool HasAuditGuard(DbTransaction? tx = null) =>
        Query(tx, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit' COLLATE NOCASE", r => r.IsDBNull(0) ? "" : r.GetString(0))
            .Select(sql => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))).ToHashSet().SetEquals([NoUpdate, NoDelete]);

    // VACUUM rewrites the file without the freed pages; in WAL mode (if a user set it) the log is then emptied too,
    // which a reader can hold up (the checkpoint then answers busy rather than failing).
    public override bool TryCompact(out string? problem)
    {
        Execute(null, "VACUUM;");
        var (busy, frames, copied) = Query(null, "PRAGMA wal_checkpoint(TRUNCATE);", r => (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)))[0];
        problem = busy != 0 || frames != copied ? "another connection is reading the gallery, so its write-ahead log could not be emptied" : null;
        return problem == null;
    }

    public override IReadOnlyList<string> Files(DbTransaction? tx = null) =>
        new[] { _path, _path + "-journal", _path + "-wal" }.Where(File.Exists).ToList();
}

/// <summary>The shared store: PostgreSQL through Npgsql; VACUUM FULL after an erasure rewrites the tables into new files.</summary>
public sealed class PostgresGalleryStore : GalleryStore
{
    private PostgresGalleryStore(NpgsqlConnection connection, string where) : base(connection, where) { }

    /// <summary>Connects with an Npgsql connection string.</summary>
    public static PostgresGalleryStore Connect(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new GalleryException($"The PostgreSQL address is not a connection string: {e.Message}");
        }
        string where = $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            connection.Open();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            connection.Dispose();
            throw new GalleryException($"Cannot reach the gallery at {where}: {e.Message.TrimEnd('.')}. Is the server running, and may this user connect?");
        }
        return new PostgresGalleryStore(connection, where);
    }

    /// <summary>
    /// An Npgsql connection string from <c>postgres://user:password@host:port/database?search_path=s</c>. The
    /// password may be left out (then PGPASSWORD or ~/.pgpass gives it, as for psql).
    /// </summary>
    public static string FromUri(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var u) || u.Host.Length == 0)
            throw new GalleryException($"--store {uri} is not a PostgreSQL address; write postgres://user@host:5432/database.");
        var b = new NpgsqlConnectionStringBuilder { Host = u.Host, Port = u.Port > 0 ? u.Port : 5432, Database = Uri.UnescapeDataString(u.AbsolutePath.TrimStart('/')) };
        if (b.Database is null or "") throw new GalleryException($"--store {uri} names no database; write postgres://user@host:5432/database.");
        if (u.UserInfo.Length > 0)
        {
            var parts = u.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in u.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]), value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            if (key is "search_path" or "schema") b.SearchPath = value;
            else if (key == "sslmode") b.SslMode = Enum.Parse<SslMode>(value, ignoreCase: true);
            else throw new GalleryException($"--store: the option '{key}' is not known; use search_path or sslmode.");
        }
        return b.ConnectionString;
    }

    private protected override DbTransaction BeginSnapshot()
    {
        var tx = Connection.BeginTransaction(IsolationLevel.RepeatableRead);
        Execute(tx, "SET TRANSACTION READ ONLY");
        return tx;
    }

    private protected override DbTransaction Begin()
    {
        var tx = Connection.BeginTransaction(IsolationLevel.ReadCommitted);
        // One writer at a time per gallery (and per schema), as SQLite's BEGIN IMMEDIATE gives: creating the schema
        // and enrolments from several machines queue on this lock.
        Execute(tx, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.shikaku_gallery'))");
        return tx;
    }

    public override void EnsureSchema(DbTransaction tx) => Execute(tx, """
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
        CREATE TABLE IF NOT EXISTS people (id BIGSERIAL PRIMARY KEY, tag BYTEA NOT NULL UNIQUE, record BYTEA NOT NULL);
        CREATE TABLE IF NOT EXISTS descriptors (id BIGSERIAL PRIMARY KEY,
            person BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE, value BYTEA NOT NULL);
        CREATE INDEX IF NOT EXISTS descriptors_person ON descriptors(person);
        CREATE TABLE IF NOT EXISTS audit (id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL);
        CREATE OR REPLACE FUNCTION shikaku_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
        CREATE OR REPLACE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION shikaku_audit_append_only();
        ALTER TABLE audit ENABLE TRIGGER audit_append_only;
        DO $$ DECLARE r record; BEGIN
            -- Any other trigger or rule on the audit (one that swallows or rewrites inserts, say) is not the gallery's: it goes.
            FOR r IN SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = 'audit'::regclass AND NOT t.tgisinternal AND t.tgname <> 'audit_append_only' LOOP
                EXECUTE format('DROP TRIGGER %I ON audit', r.tgname);
            END LOOP;
            FOR r IN SELECT w.rulename FROM pg_rewrite w WHERE w.ev_class = 'audit'::regclass LOOP
                EXECUTE format('DROP RULE %I ON audit', r.rulename);
            END LOOP;
        END $$;
        """);

    private protected override IReadOnlyCollection<string> TablesPresent() =>
        Query(null, $"SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() AND tablename IN ({TableList})", r => r.GetString(0));

    // The trigger fires in ordinary sessions ('O' or 'A', not disabled or replica-only), before UPDATE, DELETE and
    // TRUNCATE (tgtype bits 2, 16, 8 and 32), and its function raises the error.
    // No other trigger (one that swallows or rewrites inserts, say) and no rule on the table either.
    public override bool HasAuditGuard(DbTransaction? tx = null) => Query(tx, """
        SELECT (SELECT COUNT(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = c.oid AND t.tgname = 'audit_append_only' AND t.tgenabled IN ('O', 'A') AND (t.tgtype & 58) = 58
                  AND p.prosrc LIKE '%RAISE EXCEPTION ''the audit log is append-only''%') = 1
           AND (SELECT COUNT(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) = 1
           AND NOT EXISTS (SELECT 1 FROM pg_rewrite w WHERE w.ev_class = c.oid)
        FROM pg_class c WHERE c.relname = 'audit' AND c.relnamespace = current_schema()::regnamespace
        """, r => r.GetBoolean(0)) is [true];

    // VACUUM FULL writes each table anew and unlinks the old files, so deleted tuples leave the database's files. A
    // role that may not (neither the tables' nor the database's owner) would only get a warning from it, so that is
    // asked first. The rewrite of a large gallery may take minutes, and gets them; but it waits at most 10 s for its
    // lock, since every other client queues behind it meanwhile.
    public override bool TryCompact(out string? problem)
    {
        bool may = Query(null, """
            SELECT COALESCE(bool_and(pg_has_role(current_user, c.relowner, 'USAGE')), false)
                OR pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
            FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('people', 'descriptors')
            """, r => r.GetBoolean(0))[0];
        if (!may)
        {
            problem = $"the role {Query(null, "SELECT current_user::text", r => r.GetString(0))[0]} may not compact the tables (only their owner, or the database's, can)";
            return false;
        }
        Execute(null, "SET lock_timeout = '10s'");
        try
        {
            using var vacuum = Command(null, "VACUUM FULL people, descriptors");
            vacuum.CommandTimeout = 3600;
            vacuum.ExecuteNonQuery();
        }
        finally
        {
            Execute(null, "RESET lock_timeout");
        }
        problem = null;
        return true;
    }

    public override IReadOnlyList<string> Files(DbTransaction? tx = null)
    {
        string dataDirectory = Query(tx, "SHOW data_directory", r => r.GetString(0))[0];
        return Query(tx, """
            SELECT pg_relation_filepath(c.oid) FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 't', 'i')
               OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND reltoastrelid <> 0)
            """, r => r.IsDBNull(0) ? "" : r.GetString(0))
            .Where(p => p.Length > 0).Select(p => Path.Combine(dataDirectory, p)).ToList();
    }
}
