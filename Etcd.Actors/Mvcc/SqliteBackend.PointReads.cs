using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The point read of one key revision (<see cref="GetRevision"/>), the read a Range makes once per key: a range of
/// 26,000 keys is 26,000 of them. Through <see cref="SqliteCommand.ExecuteReader()"/> each one allocated a data
/// reader, a parameter binder per parameter, a record with per-column caches and two arrays: 1,128 B for a row with a
/// 256-byte value (SqliteBackendPointReadSpecs), and a large read's garbage, alive until its response is sent, is
/// what paused the puts beside it (docs/benchmarks.md "Reads and writes"). So this one statement is stepped through
/// SQLitePCL.raw (<see cref="SqliteStatement"/>, on the same connection): the only allocations left are
/// the row's one array, holding its key then its value, and the <see cref="KeyValue"/> with its two
/// <see cref="ByteString"/>s over that array (432 B).
/// </summary>
public sealed partial class SqliteBackend
{
    private const string PointReadSql = "SELECT create_rev, mod_rev, version, lease, key, value FROM kv WHERE rev_main = ?1 AND rev_sub = ?2";
    private const int PrCreate = 0, PrMod = 1, PrVersion = 2, PrLease = 3, PrKey = 4, PrValue = 5;

    // Prepared on first use, finalized in Dispose before the connection closes (a statement left open would keep the
    // file open: Pooling is off so that Dispose really closes it).
    private SqliteStatement? _pointRead;

    private KeyValue? ReadCommittedRevision(Revision rev)
    {
        var stmt = _pointRead ??= new SqliteStatement(_conn, PointReadSql, () => InjectedResult("read"));
        try
        {
            stmt.Bind(1, rev.Main);
            stmt.Bind(2, rev.Sub);
            if (!stmt.Step()) return null;
            var keyLength = stmt.Bytes(PrKey);
            var valueLength = stmt.Bytes(PrValue);
            var row = new byte[keyLength + valueLength];
            stmt.CopyBlob(PrKey, row, 0, keyLength);
            stmt.CopyBlob(PrValue, row, keyLength, valueLength);
            // The array is ours alone and never written again, so wrapping it keeps ByteString's immutability.
            return new KeyValue
            {
                Key = Slice(row, 0, keyLength),
                Value = Slice(row, keyLength, row.Length - keyLength),
                CreateRevision = stmt.Int64(PrCreate),
                ModRevision = stmt.Int64(PrMod),
                Version = stmt.Int64(PrVersion),
                Lease = stmt.Int64(PrLease),
            };
        }
        finally
        {
            // Ends the read (a statement left stepped would hold its read snapshot of the WAL).
            stmt.Reset();
        }
    }

    private static ByteString Slice(byte[] row, int start, int length) =>
        length == 0 ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(row.AsMemory(start, length));

    private void DisposePointRead()
    {
        _pointRead?.Dispose();
        _pointRead = null;
    }
}
