using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Serialization;

/// <summary>
/// SQLite settings the journal plugin cannot set itself. journal_mode=WAL is stored in the database
/// file, so setting it once before the ActorSystem opens the file is enough; it cuts a commit from
/// ~1.4 ms (rollback journal) to one fsync, and synchronous stays FULL (durable) by default.
/// </summary>
public static class SqlitePragmas
{
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

    private static string Execute(string dbPath, string pragma)
    {
        // No pooling: this connection must not linger and hold the file after we are done.
        var cs = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(dbPath), Pooling = false }.ToString();
        using var conn = new SqliteConnection(cs);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = pragma;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
