using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc;

/// <summary>Watch history: the key revisions between two main revisions, read in primary-key order.</summary>
public sealed partial class SqliteBackend
{
    private const string RowsBetween = " FROM kv WHERE rev_main >= $from AND rev_main <= $to ORDER BY rev_main, rev_sub";

    public void ForEachRevisionBetween(long fromMain, long toMain, Func<Revision, KeyValue, bool, bool> visit)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT " + KvColumnsWithValue + RowsBetween;
        cmd.Parameters.AddWithValue("$from", fromMain);
        cmd.Parameters.AddWithValue("$to", toMain);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var rev = new Revision(reader.GetInt64(ColMain), reader.GetInt64(ColSub));
            if (!visit(rev, ReadKeyValue(reader, withValue: true), reader.GetInt64(ColTombstone) != 0)) return;
        }
    }
}
