using System.Text;
using System.Text.Json;
using Etcd.Actors.Cluster.Core;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The member table (etcd keeps it in the backend's "members" and "members_removed" buckets): written in the
/// same transaction as the data and the consistent index, so after a crash the table matches the index and
/// re-applied conf changes reach the same table again. The table is a few rows, so a change rewrites it whole.
/// </summary>
public sealed partial class SqliteBackend
{
    private const string MembersSchema = """
        CREATE TABLE IF NOT EXISTS members (
          id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, peer_urls TEXT NOT NULL,
          client_urls TEXT NOT NULL, is_learner INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS removed_members (id INTEGER NOT NULL PRIMARY KEY) WITHOUT ROWID;
        """;

    private MemberTable? _stagedMembers;

    /// <summary>The member table as last committed (loaded at open).</summary>
    public MemberTable Members { get; private set; } = MemberTable.Empty;

    /// <summary>Buffers the whole member table; <see cref="Commit"/> writes it with the rest of the batch.</summary>
    public void StageMembers(MemberTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _stagedMembers = table;
    }

    private void WriteStagedMembers(SqliteTransaction tx)
    {
        if (_stagedMembers is not { } table) return;
        using (var clear = _conn.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "DELETE FROM members; DELETE FROM removed_members;";
            clear.ExecuteNonQuery();
        }
        using (var insert = _conn.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO members (id, name, peer_urls, client_urls, is_learner) VALUES ($id, $n, $p, $c, $l)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var name = insert.Parameters.Add("$n", SqliteType.Text);
            var peers = insert.Parameters.Add("$p", SqliteType.Text);
            var clients = insert.Parameters.Add("$c", SqliteType.Text);
            var learner = insert.Parameters.Add("$l", SqliteType.Integer);
            foreach (var m in table.Members)
            {
                id.Value = unchecked((long)m.Id);
                name.Value = m.Name;
                peers.Value = EncodeUrls(m.PeerUrls);
                clients.Value = EncodeUrls(m.ClientUrls);
                learner.Value = m.IsLearner ? 1L : 0L;
                insert.ExecuteNonQuery();
            }
        }
        using (var removed = _conn.CreateCommand())
        {
            removed.Transaction = tx;
            removed.CommandText = "INSERT INTO removed_members (id) VALUES ($id)";
            var id = removed.Parameters.Add("$id", SqliteType.Integer);
            foreach (var r in table.Removed)
            {
                id.Value = unchecked((long)r);
                removed.ExecuteNonQuery();
            }
        }
    }

    private void PublishStagedMembers()
    {
        if (_stagedMembers is null) return;
        Members = _stagedMembers;
        _stagedMembers = null;
    }

    private void LoadMembers() => Members = ReadMembers(_conn);

    internal static MemberTable ReadMembers(SqliteConnection conn)
    {
        var members = new List<ClusterMember>();
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT id, name, peer_urls, client_urls, is_learner FROM members ORDER BY id";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                members.Add(new ClusterMember(unchecked((ulong)r.GetInt64(0)), r.GetString(1),
                    DecodeUrls(r.GetString(2)), DecodeUrls(r.GetString(3)), r.GetInt64(4) != 0));
        }
        var removed = new List<ulong>();
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT id FROM removed_members ORDER BY id";
            using var r = cmd.ExecuteReader();
            while (r.Read()) removed.Add(unchecked((ulong)r.GetInt64(0)));
        }
        return new MemberTable(members, removed);
    }

    // URL lists as a JSON array of strings: any string survives (client URLs are whatever the member published).
    private static string EncodeUrls(IReadOnlyList<string> urls)
    {
        using var buf = new MemoryStream();
        using (var w = new Utf8JsonWriter(buf))
        {
            w.WriteStartArray();
            foreach (var u in urls) w.WriteStringValue(u);
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buf.GetBuffer(), 0, (int)buf.Length);
    }

    private static string[] DecodeUrls(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
    }
}
