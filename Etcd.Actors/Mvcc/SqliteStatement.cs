using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// One prepared statement run straight through SQLitePCL (the library under Microsoft.Data.Sqlite), for the backend's
/// hot statements: the per-row insert at commit and the point read a Range makes once per key. Through
/// <see cref="SqliteCommand"/> every execution looks its parameters up by name (a UTF-8 conversion of each name),
/// allocates a binder per parameter, boxes each integer and creates a data reader: the allocations of one put's apply
/// were ~15% of a member's, and a large range's garbage paused the puts beside it (docs/benchmarks.md). Here values are
/// bound by position and the statement stepped with no allocation. It runs on the backend's connection (so inside the
/// transaction <see cref="SqliteBackend.Commit"/> opened), is prepared on first use, and every failure is the same
/// <see cref="SqliteException"/> (with SQLite's result code) the command would throw. The per-row calls (step, reset,
/// integer binds, column reads) go straight to the library on the raw pointer (<see cref="SqliteNative"/>). Not
/// thread-safe: the backend's owner uses it from one thread.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    private readonly SqliteConnection _conn;
    private readonly string _sql;
    private readonly Func<int>? _injected;
    private sqlite3_stmt? _stmt;
    // _stmt's pointer, for SqliteNative; valid while _stmt is not disposed. The backend keeps this object in a field
    // for as long as it uses it, so _stmt (which this object roots) is never finalized during a call.
    private IntPtr _handle;

    /// <param name="injected">Asked before each step (specs' fault hook): a result code to take instead of stepping
    /// (SQLITE_BUSY, an I/O error), or SQLITE_OK to step.</param>
    public SqliteStatement(SqliteConnection conn, string sql, Func<int>? injected = null)
    {
        _conn = conn;
        _sql = sql;
        _injected = injected;
    }

    private sqlite3 Db => _conn.Handle ?? throw new InvalidOperationException("the connection is not open");

    private sqlite3_stmt Stmt
    {
        get
        {
            if (_stmt is not null) return _stmt;
            Check(raw.sqlite3_prepare_v2(Db, _sql, out var stmt));
            _handle = stmt.DangerousGetHandle();
            return _stmt = stmt;
        }
    }

    /// <summary>Binds parameter <paramref name="index"/> (1-based, in the statement's order).</summary>
    public void Bind(int index, long value) => Check(SqliteNative.sqlite3_bind_int64(Handle, index, value));

    private IntPtr Handle
    {
        get
        {
            if (_stmt is null) _ = Stmt;
            return _handle;
        }
    }

    /// <summary>An empty blob is bound as a zero-length blob, never as NULL (the columns are NOT NULL).</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(Stmt, index, 0) : raw.sqlite3_bind_blob(Stmt, index, value));

    /// <summary>
    /// One step: true with a row (read its columns before the next step or <see cref="Reset"/>), false when done, or
    /// the error thrown. Outside a transaction (the point read, in autocommit) retried while another connection holds
    /// the file (SQLITE_BUSY / SQLITE_LOCKED: a snapshot's copy, or a tool with the file open), up to the connection's
    /// default timeout (30 s), as SqliteCommand does; a timeout of 0 means no retry here (SqliteCommand would wait
    /// without end; nothing sets it). Inside the commit's transaction never retried: SQLite's documentation says to
    /// roll back rather than step again there (https://www.sqlite.org/rescode.html#busy), LOCKED from our own
    /// connection would never clear, and the commit holds the write lock from BEGIN IMMEDIATE anyway; the error
    /// rolls the batch back and the store restarts from the journal, as before.
    /// </summary>
    public bool Step()
    {
        var rc = StepOnce();
        if (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && raw.sqlite3_get_autocommit(Db) != 0)
        {
            var deadline = Environment.TickCount64 + _conn.DefaultTimeout * 1000L;
            while (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && Environment.TickCount64 < deadline)
            {
                SqliteNative.sqlite3_reset(Handle);
                Thread.Sleep(10);
                rc = StepOnce();
            }
        }
        if (rc == raw.SQLITE_ROW) return true;
        if (rc == raw.SQLITE_DONE) return false;
        Check(rc);
        return false;
    }

    /// <summary>Ends the run (a statement left stepped would hold its read snapshot of the WAL, or its write state).</summary>
    public void Reset()
    {
        if (_stmt is not null) SqliteNative.sqlite3_reset(_handle);
    }

    /// <summary>Runs a statement that returns no row once with the bound values, then resets it for the next.</summary>
    public void Execute()
    {
        try
        {
            if (Step()) throw new InvalidOperationException($"sqlite: a row from a statement that returns none: {_sql}");
        }
        finally
        {
            Reset();
        }
    }

    public long Int64(int column) => SqliteNative.sqlite3_column_int64(Handle, column);

    /// <summary>The length of the row's BLOB in <paramref name="column"/>.</summary>
    public int Bytes(int column) => SqliteNative.sqlite3_column_bytes(Handle, column);

    /// <summary>
    /// Copies the row's BLOB in <paramref name="column"/>, of <paramref name="length"/> bytes (<see cref="Bytes"/>),
    /// into <paramref name="into"/> at <paramref name="at"/>. A BLOB column read as a BLOB is never converted, so the
    /// pointer and the length agree whichever is asked first (https://www.sqlite.org/c3ref/column_blob.html).
    /// </summary>
    public void CopyBlob(int column, byte[] into, int at, int length)
    {
        if (length == 0) return;
        var data = SqliteNative.sqlite3_column_blob(Handle, column);
        if (data == IntPtr.Zero)
            throw new InvalidOperationException($"sqlite: no data for a BLOB of {length} bytes in column {column} (error code {raw.sqlite3_errcode(Db)}): {_sql}");
        Marshal.Copy(data, into, at, length);
    }

    /// <summary>Finalizes the statement; the backend calls it before closing its connection (an open statement keeps the file open).</summary>
    public void Dispose()
    {
        _stmt?.Dispose();
        _stmt = null;
        _handle = IntPtr.Zero;
    }

    private int StepOnce()
    {
        if (_injected?.Invoke() is { } rc && rc != raw.SQLITE_OK) return rc;
        return SqliteNative.sqlite3_step(Handle);
    }

    // The one error mapping: SQLite's own message for the code, as Microsoft.Data.Sqlite raises it.
    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, Db);
    }
}
