using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// One way to read a <c>kv</c> row into a <see cref="KeyValue"/> through Microsoft.Data.Sqlite, for every query that
/// does but the point read (SqliteBackend.PointReads.cs, stepped through SQLitePCL.raw): the index rebuild (<see cref="LoadAll"/>, without values) and HashKV's walk
/// (<see cref="ForEachRevision"/>). The columns stand in one order, the value last so that a query may leave it out.
/// </summary>
public sealed partial class SqliteBackend
{
    private const string KvColumns = "rev_main, rev_sub, key, create_rev, mod_rev, version, lease, tombstone";
    private const string KvColumnsWithValue = KvColumns + ", value";
    private const string RowsUpTo = " FROM kv WHERE rev_main <= $max ORDER BY rev_main, rev_sub";
    private const int ColMain = 0, ColSub = 1, ColKey = 2, ColCreate = 3, ColMod = 4, ColVersion = 5, ColLease = 6, ColTombstone = 7, ColValue = 8;

    /// <summary>
    /// Visits every committed row whose main revision is ≤ <paramref name="maxMain"/>, in revision order; with
    /// <paramref name="withValue"/> false the key-values come without their values (nothing reads them).
    /// </summary>
    private void ForEachRow(long maxMain, bool withValue, Action<Revision, KeyValue, bool> visit)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = withValue ? "SELECT " + KvColumnsWithValue + RowsUpTo : "SELECT " + KvColumns + RowsUpTo; // constants, folded
        cmd.Parameters.AddWithValue("$max", maxMain);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
            visit(new Revision(reader.GetInt64(ColMain), reader.GetInt64(ColSub)), ReadKeyValue(reader, withValue), reader.GetInt64(ColTombstone) != 0);
    }

    public void CommittedRevisionsFrom(Revision from, long maxMain, int limit, List<Revision> into)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT rev_main, rev_sub FROM kv WHERE (rev_main, rev_sub) >= ($m, $s) AND rev_main <= $max ORDER BY rev_main, rev_sub LIMIT $n";
        cmd.Parameters.AddWithValue("$m", from.Main);
        cmd.Parameters.AddWithValue("$s", from.Sub);
        cmd.Parameters.AddWithValue("$max", maxMain);
        cmd.Parameters.AddWithValue("$n", limit);
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) into.Add(new Revision(reader.GetInt64(0), reader.GetInt64(1)));
    }

    /// <summary>The row under <paramref name="reader"/>, selected with <see cref="KvColumns"/> (and the value after them).</summary>
    private static KeyValue ReadKeyValue(SqliteDataReader reader, bool withValue)
    {
        var kv = new KeyValue
        {
            Key = Wrap(reader.GetFieldValue<byte[]>(ColKey)),
            CreateRevision = reader.GetInt64(ColCreate),
            ModRevision = reader.GetInt64(ColMod),
            Version = reader.GetInt64(ColVersion),
            Lease = reader.GetInt64(ColLease),
        };
        if (withValue) kv.Value = Wrap(reader.GetFieldValue<byte[]>(ColValue));
        return kv;
    }
}
