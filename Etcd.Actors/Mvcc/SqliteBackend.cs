using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The MVCC backend on SQLite (etcd uses bbolt): <c>&lt;data-dir&gt;/member/mvcc.db</c>, one row per key
/// revision in <c>kv</c>, the consistent index / compaction marks in <c>meta</c>, the member table in
/// <c>members</c> and <c>removed_members</c> (SqliteBackend.Members.cs). Writes are buffered in
/// memory (point reads see them) and written by <see cref="Commit"/> in one transaction, together with the
/// consistent index: that is what makes re-applying Raft entries after a crash idempotent.
///
/// Durability: WAL with <c>synchronous=NORMAL</c>. A commit may be lost on power failure (never corrupted:
/// WAL keeps transactions atomic), but only commits whose entries are already durable in the Raft journal,
/// and the consistent index is lost with them; at restart the entries after the stored index are simply
/// applied again. So the fsync per commit that FULL would add buys nothing, and the journal's fsync is the
/// one that acknowledges the client. A snapshot or journal compaction must therefore only rely on indexes
/// this backend has checkpointed (<see cref="Checkpoint"/>, SqliteBackend.Snapshot.cs).
/// </summary>
public sealed partial class SqliteBackend : IBackend
{
    private const string MetaConsistentIndex = "consistent_index";
    private const string MetaCompacted = "finished_compact_rev";
    private const string MetaScheduled = "scheduled_compact_rev";

    // Parameters by position: 1 rev_main, 2 rev_sub, 3 key, 4 create_rev, 5 mod_rev, 6 version, 7 value, 8 lease, 9 tombstone.
    private const string InsertSql = """
        INSERT OR REPLACE INTO kv (rev_main, rev_sub, key, create_rev, mod_rev, version, value, lease, tombstone)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        """;

    private readonly SqliteConnection _conn;
    // Prepared on first commit, not in the constructor: a constructor that throws after preparing would leave an
    // unfinalized statement, which keeps the file open (a "zombie" connection) until a finalizer runs.
    private SqliteStatement? _insert;
    private readonly SqliteCommand _delete;
    private readonly SqliteParameter _dMain, _dSub;
    private readonly SqliteCommand _setMeta;
    private readonly SqliteParameter _mName, _mValue;
    private readonly SqliteCommand _pageCount, _freePages;
    private readonly long _pageSize;

    // Uncommitted rows, in increasing revision order (the store writes them that way), so point reads are a
    // binary search and no hash map is needed on the hot path.
    private readonly List<PendingRow> _pending = new();
    private readonly List<Revision> _pendingDeletes = new();
    private long _pendingScheduled = long.MinValue;
    private long _pendingCompacted = long.MinValue;

    private SqliteBackend(SqliteConnection conn, long cacheBytes)
    {
        _conn = conn;
        Exec("PRAGMA journal_mode=WAL;");
        Exec("PRAGMA synchronous=NORMAL;");
        // etcd.mvcc.backend-cache-size (MvccSettings): SQLite's own page cache, in KiB when negative.
        Exec($"PRAGMA cache_size=-{Math.Max(1, cacheBytes / 1024)};");
        Exec("""
             CREATE TABLE IF NOT EXISTS kv (
               rev_main INTEGER NOT NULL, rev_sub INTEGER NOT NULL, key BLOB NOT NULL,
               create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL,
               value BLOB NOT NULL, lease INTEGER NOT NULL, tombstone INTEGER NOT NULL,
               PRIMARY KEY (rev_main, rev_sub)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meta (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
             """);
        Exec(MembersSchema);

        _delete = Prepare("DELETE FROM kv WHERE rev_main = $m AND rev_sub = $s");
        _dMain = Param(_delete, "$m", SqliteType.Integer);
        _dSub = Param(_delete, "$s", SqliteType.Integer);

        _setMeta = Prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ($n, $v)");
        _mName = Param(_setMeta, "$n", SqliteType.Text);
        _mValue = Param(_setMeta, "$v", SqliteType.Integer);

        _pageCount = Prepare("PRAGMA page_count");
        _freePages = Prepare("PRAGMA freelist_count");
        _pageSize = Scalar("PRAGMA page_size");

        ConsistentIndex = unchecked((ulong)ReadMeta(MetaConsistentIndex, 0));
        CompactedRevision = ReadMeta(MetaCompacted, -1);
        ScheduledCompaction = ReadMeta(MetaScheduled, -1);
        LoadMembers();
        LoadAlarms();
        LoadLeases();
        Exec(AuthSchema);
    }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>, with reference.conf's page cache.</summary>
    public static SqliteBackend Open(string path) => Open(path, MvccSettings.Default.BackendCacheBytes);

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> with a page cache of
    /// <paramref name="cacheBytes"/> (etcd.mvcc.backend-cache-size).</summary>
    public static SqliteBackend Open(string path, long cacheBytes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // Dispose must really close the file: the actor reopens it on restart
        }.ToString();
        var fullPath = Path.GetFullPath(path);
        MaybeFail(fullPath, "open");
        var conn = new SqliteConnection(cs);
        conn.Open();
        try
        {
            return new SqliteBackend(conn, cacheBytes) { _fullPath = fullPath };
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    public ulong ConsistentIndex { get; private set; }
    public long CompactedRevision { get; private set; }
    public long ScheduledCompaction { get; private set; }

    public long SizeBytes => Scalar(_pageCount) * _pageSize;
    public long SizeInUseBytes => (Scalar(_pageCount) - Scalar(_freePages)) * _pageSize;

    public void PutRevision(Revision rev, KeyValue kv, bool tombstone)
    {
        if (_pending.Count > 0 && rev <= _pending[^1].Rev)
            throw new InvalidOperationException($"backend writes must come in revision order: {rev} after {_pending[^1].Rev}");
        _pending.Add(new PendingRow(rev, kv, tombstone));
    }

    public KeyValue? GetRevision(Revision rev)
    {
        var i = FindPending(rev);
        if (i >= 0) return _pending[i].Kv;

        return ReadCommittedRevision(rev);
    }

    public void DeleteRevision(Revision rev) => _pendingDeletes.Add(rev);

    public void SetScheduledCompaction(long rev) => _pendingScheduled = rev;

    public void SetCompactedRevision(long rev) => _pendingCompacted = rev;

    public void Commit(ulong consistentIndex)
    {
        using (var tx = _conn.BeginTransaction())
        {
            _delete.Transaction = tx;
            _setMeta.Transaction = tx;
            if (_pendingScheduled != long.MinValue) SetMeta(MetaScheduled, _pendingScheduled);
            for (var i = 0; i < _pending.Count; i++)
            {
                var row = _pending[i];
                var kv = row.Kv;
                var insert = _insert ??= new SqliteStatement(_conn, InsertSql);
                insert.Bind(1, row.Rev.Main);
                insert.Bind(2, row.Rev.Sub);
                insert.Bind(3, kv.Key.Span);
                insert.Bind(4, kv.CreateRevision);
                insert.Bind(5, kv.ModRevision);
                insert.Bind(6, kv.Version);
                insert.Bind(7, kv.Value.Span);
                insert.Bind(8, kv.Lease);
                insert.Bind(9, row.Tombstone ? 1L : 0L);
                insert.Execute();
            }
            for (var i = 0; i < _pendingDeletes.Count; i++)
            {
                _dMain.Value = _pendingDeletes[i].Main;
                _dSub.Value = _pendingDeletes[i].Sub;
                _delete.ExecuteNonQuery();
            }
            if (_pendingCompacted != long.MinValue) SetMeta(MetaCompacted, _pendingCompacted);
            WriteStagedMembers(tx);
            WriteStagedAlarms(tx);
            WriteStagedLeases(tx);
            WriteStagedAuth(tx);
            SetMeta(MetaConsistentIndex, unchecked((long)consistentIndex));
            MaybeFail("commit");
            tx.Commit();
        }
        _delete.Transaction = null;
        _setMeta.Transaction = null;

        ConsistentIndex = consistentIndex;
        if (_pendingScheduled != long.MinValue) ScheduledCompaction = _pendingScheduled;
        if (_pendingCompacted != long.MinValue) CompactedRevision = _pendingCompacted;
        _pending.Clear();
        _pendingDeletes.Clear();
        _pendingScheduled = _pendingCompacted = long.MinValue;
        PublishStagedMembers();
        PublishStagedAlarms();
        PublishStagedLeases();
        PublishStagedAuth();
    }

    public void LoadAll(Action<Revision, KeyValue, bool> visit) => ForEachRow(long.MaxValue, withValue: false, visit);

    public void Dispose()
    {
        _insert?.Dispose();
        _insert = null;
        _delete.Dispose();
        DisposePointRead();
        DisposeBatchRead();
        _setMeta.Dispose();
        _pageCount.Dispose();
        _freePages.Dispose();
        _conn.Dispose();
    }

    private int FindPending(Revision rev)
    {
        int lo = 0, hi = _pending.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _pending[mid].Rev.CompareTo(rev);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    private void SetMeta(string name, long value)
    {
        _mName.Value = name;
        _mValue.Value = value;
        _setMeta.ExecuteNonQuery();
    }

    private long ReadMeta(string name, long missing)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE name = $n";
        cmd.Parameters.AddWithValue("$n", name);
        var v = cmd.ExecuteScalar();
        return v is null or DBNull ? missing : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
    }

    // The reader's array is ours alone, so wrapping it without a copy keeps ByteString's immutability.
    private static ByteString Wrap(byte[] bytes) => bytes.Length == 0 ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(bytes);

    private SqliteCommand Prepare(string sql)
    {
        var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private static SqliteParameter Param(SqliteCommand cmd, string name, SqliteType type) =>
        cmd.Parameters.Add(name, type);

    private void Exec(string sql)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>PRAGMA cache_size of this connection (negative: KiB), for the specs.</summary>
    internal long CacheSizePragma => Scalar("PRAGMA cache_size");

    private long Scalar(string sql)
    {
        using var cmd = Prepare(sql);
        return Scalar(cmd);
    }

    private static long Scalar(SqliteCommand cmd) =>
        Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

    private readonly record struct PendingRow(Revision Rev, KeyValue Kv, bool Tombstone);
}
