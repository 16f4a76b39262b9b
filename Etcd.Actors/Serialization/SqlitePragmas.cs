using LinqToDB;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Serialization;

/// <summary>
/// SQLite settings of the journal. journal_mode=WAL is stored in the database file, so setting it once before
/// the ActorSystem opens the file is enough; it cuts a commit from ~1.4 ms (rollback journal) to one fsync.
/// synchronous is per connection: the journal plugin's connections get FULL from
/// <see cref="JournalConnectionInterceptor"/> (passed to the plugin in <see cref="JournalDataOptions"/>), and
/// <see cref="PrepareJournal"/> checks at start that this SQLite honours it, so an acknowledged Raft write is
/// on disk, not only in the WAL file's page cache.
/// </summary>
public static class SqlitePragmas
{
    /// <summary>SQLite's value for <c>synchronous=FULL</c> (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA).</summary>
    public const long SynchronousFull = 2;

    /// <summary>
    /// The linq2db options the journal plugin connects with (Akka.Persistence.Sql takes them from a
    /// <c>DataOptionsSetup</c> and uses them instead of its HOCON connection string): the journal file, provider
    /// SQLite.MS (the name the plugin picks its column mappings by) served by <see cref="JournalSqliteProvider"/>
    /// (an INSERT's SQL built once), and <paramref name="interceptor"/> on every connection.
    /// </summary>
    internal static DataOptions JournalDataOptions(string dbPath, JournalConnectionInterceptor interceptor) =>
        new DataOptions()
            .UseConnectionString(ProviderName.SQLiteMS, RaftHocon.ConnectionString(dbPath))
            .UseDataProvider(JournalSqliteProvider.Instance)
            .UseInterceptor(interceptor);

    /// <summary>
    /// Sets <c>synchronous=FULL</c> on an open journal connection and reads it back; throws when SQLite does not
    /// report FULL or more, since the journal must not acknowledge a write that power loss can take back.
    /// </summary>
    public static void ApplyJournalPragmas(System.Data.Common.DbConnection connection)
    {
        using (var set = connection.CreateCommand())
        {
            set.CommandText = "PRAGMA synchronous=FULL;";
            set.ExecuteNonQuery();
        }
        using var get = connection.CreateCommand();
        get.CommandText = "PRAGMA synchronous;";
        CheckSynchronous(Convert.ToInt64(get.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture), connection.DataSource);
    }

    /// <summary>Refuses a journal connection whose <c>synchronous</c> is below FULL, naming the file and the value.</summary>
    public static void CheckSynchronous(long synchronous, string dataSource)
    {
        if (synchronous < SynchronousFull)
            throw new InvalidOperationException(
                $"the Raft journal {dataSource} runs with PRAGMA synchronous={synchronous}; FULL ({SynchronousFull}) is required so that an acknowledged write survives power loss");
    }

    /// <summary>Creates the file (and its directory) if needed and switches it to WAL; returns the resulting mode.</summary>
    public static string EnableWal(string dbPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(dbPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var mode = Execute(dbPath, "PRAGMA journal_mode=WAL;");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"could not enable WAL on {dbPath}: journal_mode is '{mode}'");
        return mode;
    }

    /// <summary>
    /// <see cref="EnableWal"/> plus the journal, tags and snapshot tables of Akka.Persistence.Sql (table-mapping
    /// = default), created here with plain SQL in one transaction so the plugins can run with
    /// <c>auto-initialize = off</c>. The plugin's own initialisation builds the same DDL through linq2db's
    /// query builder, which is ~150-250 ms of JIT on every start. The statements are exactly
    /// what the plugin creates (<c>IF NOT EXISTS</c>, so a file the plugin initialised itself is left as it is).
    /// </summary>
    public static void PrepareJournal(string dbPath)
    {
        EnableWal(dbPath);
        Execute(dbPath, JournalSchema);
        // The check at start: a SQLite that ignores the pragma refuses here, before the member votes or writes.
        using var conn = Open(dbPath);
        ApplyJournalPragmas(conn);
    }

    /// <summary>The DDL Akka.Persistence.Sql 1.5 issues for SQLite (provider SQLite.MS, table-mapping = default).</summary>
    public const string JournalSchema = """
        BEGIN;
        CREATE TABLE IF NOT EXISTS [journal] (
          [ordering]        INTEGER        NOT NULL PRIMARY KEY AUTOINCREMENT,
          [created]         INTEGER        NOT NULL,
          [deleted]         Bit            NOT NULL,
          [persistence_id]  NVarChar(255)  NOT NULL,
          [sequence_number] INTEGER        NOT NULL,
          [message]         VarBinary      NOT NULL,
          [manifest]        NVarChar(500)      NULL,
          [identifier]      INTEGER            NULL,
          [writer_uuid]     NVarChar(128)      NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS journal_uq ON journal (persistence_id, sequence_number);
        CREATE INDEX IF NOT EXISTS journal_created_idx ON journal (created);
        CREATE INDEX IF NOT EXISTS journal_sequence_number_idx ON journal (sequence_number);
        CREATE TABLE IF NOT EXISTS [tags] (
          [ordering_id]    INTEGER       NOT NULL,
          [tag]            NVarChar(64)  NOT NULL,
          [sequence_nr]    INTEGER       NOT NULL,
          [persistence_id] NVarChar(255) NOT NULL,
          CONSTRAINT [PK_tags] PRIMARY KEY ([ordering_id], [tag])
        );
        CREATE INDEX IF NOT EXISTS tags_persistence_id_sequence_nr_idx ON tags (persistence_id, sequence_nr);
        CREATE INDEX IF NOT EXISTS tags_tag_idx ON tags (tag);
        CREATE TABLE IF NOT EXISTS [snapshot] (
          [persistence_id]  NVarChar(255) NOT NULL,
          [sequence_number] INTEGER       NOT NULL,
          [created]         INTEGER       NOT NULL,
          [snapshot]        VarBinary         NULL,
          [manifest]        NVarChar(500)     NULL,
          [serializer_id]   INTEGER           NULL,
          CONSTRAINT [PK_snapshot] PRIMARY KEY ([persistence_id], [sequence_number])
        );
        CREATE INDEX IF NOT EXISTS snapshot_sequence_number_idx ON snapshot (sequence_number);
        CREATE INDEX IF NOT EXISTS snapshot_created_idx ON snapshot (created);
        COMMIT;
        """;

    /// <summary>The journal mode currently stored in the file (e.g. "wal" or "delete").</summary>
    public static string JournalMode(string dbPath) => Execute(dbPath, "PRAGMA journal_mode;");

    private static SqliteConnection Open(string dbPath)
    {
        // No pooling: this connection must not linger and hold the file after we are done.
        var cs = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(dbPath), Pooling = false }.ToString();
        var conn = new SqliteConnection(cs);
        conn.Open();
        return conn;
    }

    private static string Execute(string dbPath, string pragma)
    {
        using var conn = Open(dbPath);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = pragma;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
