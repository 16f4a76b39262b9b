using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Whole-backend operations for Raft snapshots: a consistent copy, a durable WAL checkpoint, and the check a
/// received snapshot file must pass before it may replace the backend.
/// </summary>
public sealed partial class SqliteBackend
{
    // Statements that must prepare against a backend file: the tables and columns this code reads.
    private static readonly string[] SchemaProbes =
    [
        $"SELECT {KvColumnsWithValue} FROM kv LIMIT 0",
        "SELECT name, value FROM meta LIMIT 0",
        "SELECT id, name, peer_urls, client_urls, is_learner FROM members LIMIT 0",
        "SELECT id FROM removed_members LIMIT 0",
    ];

    /// <summary>
    /// Writes a consistent copy of the committed state to <paramref name="path"/> (which must not exist) with
    /// SQLite's VACUUM INTO, and syncs it. Buffered, uncommitted writes are not in it, so call it between
    /// batches: the copy's consistent index is then <see cref="ConsistentIndex"/>.
    /// </summary>
    public void CopyTo(string path)
    {
        if (_pending.Count > 0 || _pendingDeletes.Count > 0 || _stagedMembers is not null || _stagedLeases is not null || _stagedAuth is not null)
            throw new InvalidOperationException("backend copy with uncommitted writes buffered");
        using (var cmd = _conn.CreateCommand())
        {
            cmd.CommandText = "VACUUM INTO $path";
            cmd.Parameters.AddWithValue("$path", path);
            cmd.ExecuteNonQuery();
        }
        DurableFiles.SyncFile(path);
    }

    /// <summary>
    /// The same consistent copy of <paramref name="dbPath"/>, taken on a connection of its own, so it can run beside
    /// the writer: in WAL mode a reader sees one committed state for its whole transaction and does not block the
    /// writer. Returns the copy's consistent index (at least the index committed when the copy began).
    /// </summary>
    public static ulong CopyCommitted(string dbPath, string path)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = dbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using (var conn = new SqliteConnection(cs))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "VACUUM INTO $path";
            cmd.Parameters.AddWithValue("$path", path);
            cmd.ExecuteNonQuery();
        }
        DurableFiles.SyncFile(path);
        return Inspect(path);
    }

    /// <summary>
    /// Moves every committed transaction from the WAL into the database file and syncs it
    /// (<c>wal_checkpoint(FULL)</c>; with synchronous=NORMAL that is the sync the commits skipped), so every commit
    /// so far survives power loss. <paramref name="truncate"/> also empties the WAL file. Throws when the
    /// checkpoint could not complete (another connection held it back).
    /// </summary>
    public void Checkpoint(bool truncate = false)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = truncate ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(FULL)";
        using var r = cmd.ExecuteReader();
        if (!r.Read()) throw new InvalidOperationException("wal_checkpoint returned no row");
        if (r.GetInt64(0) != 0)
            throw new InvalidOperationException($"wal_checkpoint could not complete: {r.GetInt64(2)} of {r.GetInt64(1)} frames checkpointed");
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a backend this code can open — an intact SQLite file with every table
    /// and column read here — and returns the consistent index stored in it. Throws
    /// <see cref="InvalidDataException"/> with the reason otherwise. The file is not modified.
    /// </summary>
    public static ulong Inspect(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"snapshot file {path} does not exist");
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var conn = new SqliteConnection(cs);
            conn.Open();
            using (var check = conn.CreateCommand())
            {
                // quick_check reads every page: a truncated or damaged transfer fails here, not after install.
                check.CommandText = "PRAGMA quick_check";
                var verdict = Convert.ToString(check.ExecuteScalar(), CultureInfo.InvariantCulture);
                if (verdict != "ok") throw new InvalidDataException($"snapshot file {path} is damaged: {verdict}");
            }
            foreach (var probe in SchemaProbes)
            {
                using var cmd = conn.CreateCommand();
                cmd.CommandText = probe;
                using var _ = cmd.ExecuteReader();
            }
            using (var ci = conn.CreateCommand())
            {
                ci.CommandText = "SELECT value FROM meta WHERE name = $n";
                ci.Parameters.AddWithValue("$n", MetaConsistentIndex);
                var v = ci.ExecuteScalar();
                return v is null or DBNull ? 0 : unchecked((ulong)Convert.ToInt64(v, CultureInfo.InvariantCulture));
            }
        }
        catch (SqliteException ex)
        {
            throw new InvalidDataException($"snapshot file {path} is not a backend: {ex.Message}", ex);
        }
    }
}
