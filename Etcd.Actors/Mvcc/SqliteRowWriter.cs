using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// One prepared statement run straight through SQLitePCL (the library under Microsoft.Data.Sqlite), for the backend's
/// per-row writes at commit. Through <see cref="SqliteCommand"/> every execution looks its parameters up by name (a
/// UTF-8 conversion of each name), allocates a binder per parameter, boxes each integer and creates a data reader:
/// the allocations of one put's apply were ~15% of a member's. Here a row is bound by position and stepped, with no
/// allocation. It runs on the backend's connection, so inside the transaction <see cref="SqliteBackend.Commit"/> opened,
/// and fails with the same <see cref="SqliteException"/> (and SQLite result code) as the command would.
/// </summary>
internal sealed class SqliteRowWriter : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public SqliteRowWriter(SqliteConnection conn, string sql)
    {
        _db = conn.Handle ?? throw new InvalidOperationException("the connection is not open");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(_db, sql, out _stmt), _db);
    }

    /// <summary>Binds parameter <paramref name="index"/> (1-based, in the statement's order).</summary>
    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index, value));

    /// <summary>An empty blob is bound as a zero-length blob, never as NULL (the columns are NOT NULL).</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(_stmt, index, 0) : raw.sqlite3_bind_blob(_stmt, index, value));

    /// <summary>Runs the statement once with the bound values, then resets it for the next row.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_stmt);
        // Reset before reporting: a statement left mid-step would hold its read/write state until the next one.
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose() => _stmt.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }
}
