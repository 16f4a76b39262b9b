using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Server;

/// <summary>
/// Reads and writes <see cref="MemberIdentity"/> in a one-row table of the journal's file (raft.db), written
/// with synchronous=FULL before the member takes part in anything, so it is durable before the first vote.
/// </summary>
public static class MemberIdentityStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS [member_identity] (
          [one] INTEGER NOT NULL PRIMARY KEY CHECK ([one] = 1),
          [member_id] INTEGER NOT NULL,
          [cluster_id] INTEGER NOT NULL,
          [joined] INTEGER NOT NULL
        );
        """;

    public static MemberIdentity? Load(string dbPath)
    {
        if (!File.Exists(dbPath)) return null;
        using var conn = Open(dbPath);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = Schema + "SELECT member_id, cluster_id, joined FROM member_identity WHERE one = 1;";
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return new MemberIdentity(unchecked((ulong)r.GetInt64(0)), unchecked((ulong)r.GetInt64(1)), r.GetInt64(2) != 0);
    }

    public static void Save(string dbPath, MemberIdentity identity)
    {
        using var conn = Open(dbPath);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = Schema + """
            PRAGMA synchronous=FULL;
            INSERT OR REPLACE INTO member_identity (one, member_id, cluster_id, joined) VALUES (1, $m, $c, $j);
            """;
        cmd.Parameters.AddWithValue("$m", unchecked((long)identity.MemberId));
        cmd.Parameters.AddWithValue("$c", unchecked((long)identity.ClusterId));
        cmd.Parameters.AddWithValue("$j", identity.Joined ? 1 : 0);
        cmd.ExecuteNonQuery();
    }

    private static SqliteConnection Open(string dbPath)
    {
        // No pooling: the connection must not keep the file open once we are done.
        var cs = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(dbPath), Pooling = false }.ToString();
        var conn = new SqliteConnection(cs);
        conn.Open();
        return conn;
    }
}
