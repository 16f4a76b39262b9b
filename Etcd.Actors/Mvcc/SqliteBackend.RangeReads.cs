using System.Text;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The rows of a multi-key range (<see cref="GetRevisions"/>), up to <see cref="BatchRows"/> per statement instead of
/// one point read each: a point read is a whole statement run in autocommit, so per key it begins and ends a read
/// transaction on the WAL (shared locks, the WAL index header checked) and crosses into SQLite a dozen times, ~5 µs a
/// key, what made a 1,000-key range 3.6–3.9× etcd's CPU (docs/benchmarks.md "Range throughput"). The table is keyed by
/// revision and has no index by key (one would cost every put), and the index already says which revision of each
/// key the read sees, so the statement joins that list to the primary key: the revisions are bound as the rows of a
/// VALUES table, each with its position in the range, and the CROSS JOIN makes that table the outer loop (SQLite
/// never reorders the two sides of a CROSS JOIN: https://www.sqlite.org/optoverview.html#crossjoin), so each is one
/// seek on the primary key (SqliteBackendRangeReadSpecs checks the plan). Each row comes back with its position,
/// so whatever order SQLite returns them in, and whatever a step retried after SQLITE_BUSY returns twice, lands in
/// its own slot; a revision with no row leaves its slot null. Rows a commit has not written yet are answered from
/// the buffer and their slots bound to a revision that never matches.
/// </summary>
public sealed partial class SqliteBackend
{
    /// <summary>Revisions bound per statement: three parameters each, far below SQLite's limit of 32,766.</summary>
    internal const int BatchRows = 128;

    /// <summary>Bytes of one slab of rows (ReadSlabRow): under the 85,000 bytes that would put it on the large object heap.</summary>
    private const int SlabBytes = 16 * 1024;

    // Columns as the point read's (SqliteBackend.PointReads.cs), after the position.
    private const int BrPos = 0, BrCreate = 1, BrMod = 2, BrVersion = 3, BrLease = 4, BrKey = 5, BrValue = 6;

    private static readonly string BatchReadSql = BuildBatchReadSql(BatchRows);

    // Prepared on first use, finalized in Dispose (as the point read).
    private SqliteStatement? _batchRead;

    /// <summary>The statement for <paramref name="rows"/> revisions: parameters 3i+1, 3i+2, 3i+3 are the i-th's main, sub, position.</summary>
    internal static string BuildBatchReadSql(int rows)
    {
        var sql = new StringBuilder("SELECT v.column3, kv.create_rev, kv.mod_rev, kv.version, kv.lease, kv.key, kv.value FROM (VALUES ");
        for (var i = 0; i < rows; i++)
        {
            if (i > 0) sql.Append(", ");
            sql.Append("(?").Append(3 * i + 1).Append(", ?").Append(3 * i + 2).Append(", ?").Append(3 * i + 3).Append(')');
        }
        return sql.Append(") AS v CROSS JOIN kv ON kv.rev_main = v.column1 AND kv.rev_sub = v.column2").ToString();
    }

    public void GetRevisions(ReadOnlySpan<Revision> revs, Span<KeyValue?> into)
    {
        if (into.Length != revs.Length) throw new ArgumentException($"{into.Length} slots for {revs.Length} revisions", nameof(into));
        // A one-key read (the common get) is cheaper as the point read: a statement of one revision would still
        // carry BatchRows of bindings.
        if (revs.Length == 1)
        {
            into[0] = GetRevision(revs[0]);
            return;
        }
        var slab = new RowSlab { RowsLeft = revs.Length };
        for (var start = 0; start < revs.Length; start += BatchRows)
        {
            var n = Math.Min(BatchRows, revs.Length - start);
            ReadBatch(revs.Slice(start, n), into.Slice(start, n), ref slab);
        }
    }

    private void ReadBatch(ReadOnlySpan<Revision> revs, Span<KeyValue?> into, ref RowSlab slab)
    {
        var stmt = _batchRead ??= new SqliteStatement(_conn, BatchReadSql, () => InjectedResult("read"));
        // Buffered rows are all after every committed one (the store writes in revision order), so one comparison
        // tells most revisions they are not in the buffer.
        var firstPending = _pending.Count > 0 ? _pending[0].Rev : (Revision?)null;
        var committed = 0;
        for (var i = 0; i < BatchRows; i++)
        {
            if (i < revs.Length && (firstPending is not { } fp || revs[i] < fp))
            {
                into[i] = null;
                stmt.Bind(3 * i + 1, revs[i].Main);
                stmt.Bind(3 * i + 2, revs[i].Sub);
                stmt.Bind(3 * i + 3, i);
                committed++;
                continue;
            }
            if (i < revs.Length)
            {
                var p = FindPending(revs[i]);
                into[i] = p >= 0 ? _pending[p].Kv : null;
            }
            // Revisions start at 1 (main) and 0 (sub): -1 matches no row. Its position is never read.
            stmt.Bind(3 * i + 1, -1);
        }
        slab.RowsLeft -= revs.Length - committed;
        if (committed == 0) return;
        try
        {
            while (stmt.Step())
            {
                var pos = stmt.Int64(BrPos);
                if ((ulong)pos >= (ulong)revs.Length) throw new InvalidOperationException($"sqlite: a range row at position {pos} of {revs.Length}");
                into[(int)pos] = ReadSlabRow(stmt, ref slab);
            }
        }
        finally
        {
            // Ends the read transaction (a statement left stepped would hold its snapshot of the WAL).
            stmt.Reset();
        }
    }

    /// <summary>
    /// The row <paramref name="stmt"/> is on, its key and value copied into the slab after the bytes earlier rows took
    /// (a new slab when it is full, sized for the rows left at this row's size up to <see cref="SlabBytes"/>, so that
    /// the last one is not mostly empty; a large row gets an array of its own). A range's rows all go into one
    /// response, so they live and die together: one array per ~<see cref="SlabBytes"/> rather than one per row is one
    /// object fewer per key for the collector to trace and promote while the response is built in steps and sent (a
    /// keys-only answer copies its keys out: KvStore.Shape). Each slab is ours alone and never written again where a
    /// ByteString wraps it, so wrapping keeps ByteString's immutability.
    /// </summary>
    private static KeyValue ReadSlabRow(SqliteStatement stmt, ref RowSlab slab)
    {
        var keyLength = stmt.Bytes(BrKey);
        var valueLength = stmt.Bytes(BrValue);
        var need = keyLength + valueLength;
        byte[] into;
        int at;
        if (need > SlabBytes / 4)
        {
            into = new byte[need];
            at = 0;
        }
        else
        {
            if (slab.Array is null || slab.Array.Length - slab.Used < need)
            {
                slab.Array = new byte[(int)Math.Clamp((long)need * Math.Max(1, slab.RowsLeft), need, SlabBytes)];
                slab.Used = 0;
            }
            into = slab.Array;
            at = slab.Used;
            slab.Used += need;
        }
        slab.RowsLeft--;
        stmt.CopyBlob(BrKey, into, at, keyLength);
        stmt.CopyBlob(BrValue, into, at + keyLength, valueLength);
        return new KeyValue
        {
            Key = Slice(into, at, keyLength),
            Value = Slice(into, at + keyLength, valueLength),
            CreateRevision = stmt.Int64(BrCreate),
            ModRevision = stmt.Int64(BrMod),
            Version = stmt.Int64(BrVersion),
            Lease = stmt.Int64(BrLease),
        };
    }

    /// <summary>The array the rows of one <see cref="GetRevisions"/> are copied into, and how many may still come.</summary>
    private struct RowSlab
    {
        public byte[]? Array;
        public int Used;
        public int RowsLeft;
    }

    private void DisposeBatchRead()
    {
        _batchRead?.Dispose();
        _batchRead = null;
    }
}
