using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The point read of one key revision (<see cref="GetRevision"/>), the read a Range makes once per key: a range of
/// 26,000 keys is 26,000 of them. Through <see cref="SqliteCommand.ExecuteReader()"/> each one allocated a data
/// reader, a parameter binder per parameter, a record with per-column caches and two arrays: 1,128 B for a row with a
/// 256-byte value (SqliteBackendPointReadSpecs), and a large read's garbage, alive until its response is sent, is
/// what paused the puts beside it (docs/benchmarks.md "Reads and writes"). So this one statement is stepped through
/// SQLitePCL.raw (the library under Microsoft.Data.Sqlite, on the same connection): the only allocations left are
/// the row's one array, holding its key then its value, and the <see cref="KeyValue"/> with its two
/// <see cref="ByteString"/>s over that array (432 B).
/// </summary>
public sealed partial class SqliteBackend
{
    private const string PointReadSql = "SELECT create_rev, mod_rev, version, lease, key, value FROM kv WHERE rev_main = ?1 AND rev_sub = ?2";
    private const int PrCreate = 0, PrMod = 1, PrVersion = 2, PrLease = 3, PrKey = 4, PrValue = 5;

    // Prepared on first use, finalized in Dispose before the connection closes (a statement left open would keep the
    // file open: Pooling is off so that Dispose really closes it).
    private sqlite3_stmt? _pointRead;

    private KeyValue? ReadCommittedRevision(Revision rev)
    {
        var stmt = _pointRead ??= PreparePointRead();
        try
        {
            Check(raw.sqlite3_bind_int64(stmt, 1, rev.Main));
            Check(raw.sqlite3_bind_int64(stmt, 2, rev.Sub));
            var rc = Step(stmt);
            if (rc == raw.SQLITE_DONE) return null;
            if (rc != raw.SQLITE_ROW) Check(rc);
            var key = raw.sqlite3_column_blob(stmt, PrKey);
            var keyLength = key.Length;
            // Spans into SQLite's row, valid until the next step or reset (no type conversion: both are BLOBs).
            var row = new byte[keyLength + raw.sqlite3_column_bytes(stmt, PrValue)];
            key.CopyTo(row);
            raw.sqlite3_column_blob(stmt, PrValue).CopyTo(row.AsSpan(keyLength));
            // The array is ours alone and never written again, so wrapping it keeps ByteString's immutability.
            var kv = new KeyValue
            {
                Key = Slice(row, 0, keyLength),
                Value = Slice(row, keyLength, row.Length - keyLength),
                CreateRevision = raw.sqlite3_column_int64(stmt, PrCreate),
                ModRevision = raw.sqlite3_column_int64(stmt, PrMod),
                Version = raw.sqlite3_column_int64(stmt, PrVersion),
                Lease = raw.sqlite3_column_int64(stmt, PrLease),
            };
            return kv;
        }
        finally
        {
            // Ends the read (a statement left stepped would hold its read snapshot of the WAL).
            raw.sqlite3_reset(stmt);
        }
    }

    /// <summary>
    /// One step, retried while another connection holds the file (SQLITE_BUSY / SQLITE_LOCKED: a snapshot's copy, or
    /// a tool with the file open), up to the connection's default timeout (30 s), as SqliteCommand's own reads do; then
    /// the error is thrown. A timeout of 0 means no retry here (SqliteCommand would wait without end; nothing sets it).
    /// </summary>
    private int Step(sqlite3_stmt stmt)
    {
        var rc = raw.sqlite3_step(stmt);
        if (rc is not (raw.SQLITE_BUSY or raw.SQLITE_LOCKED)) return rc;
        var deadline = Environment.TickCount64 + _conn.DefaultTimeout * 1000L;
        while (rc is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && Environment.TickCount64 < deadline)
        {
            raw.sqlite3_reset(stmt);
            Thread.Sleep(10);
            rc = raw.sqlite3_step(stmt);
        }
        return rc;
    }

    private sqlite3_stmt PreparePointRead()
    {
        Check(raw.sqlite3_prepare_v2(_conn.Handle, PointReadSql, out var stmt));
        return stmt;
    }

    private static ByteString Slice(byte[] row, int start, int length) =>
        length == 0 ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(row.AsMemory(start, length));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _conn.Handle);
    }

    private void DisposePointRead()
    {
        _pointRead?.Dispose();
        _pointRead = null;
    }
}
