using Etcd.Actors.Lease.Core;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The leases (etcd keeps them in the backend's "lease" bucket): id, granted TTL and the remaining TTL of the last
/// checkpoint, written in the same transaction as the batch that granted, revoked or checkpointed them, so after a
/// crash the table matches the consistent index. Which keys carry a lease is not stored here: it is each key's
/// lease field, attached again when the store restarts (etcd's restore). A snapshot carries the table.
/// </summary>
public sealed partial class SqliteBackend
{
    private const string LeasesSchema = """
        CREATE TABLE IF NOT EXISTS leases (
          id INTEGER NOT NULL PRIMARY KEY, ttl INTEGER NOT NULL, remaining_ttl INTEGER NOT NULL) WITHOUT ROWID;
        """;

    private IReadOnlyDictionary<long, LeaseRecord?>? _stagedLeases;

    /// <summary>The leases as loaded at open (the store's lease table takes them from here).</summary>
    public IReadOnlyList<LeaseRecord> Leases { get; private set; } = [];

    /// <summary>Buffers lease changes (null: delete); <see cref="Commit"/> writes them with the rest of the batch.</summary>
    public void StageLeases(IReadOnlyDictionary<long, LeaseRecord?> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0) return;
        if (_stagedLeases is { Count: > 0 } earlier)
        {
            var merged = new Dictionary<long, LeaseRecord?>(earlier);
            foreach (var (id, r) in changes) merged[id] = r;
            changes = merged;
        }
        _stagedLeases = changes;
    }

    private void WriteStagedLeases(SqliteTransaction tx)
    {
        if (_stagedLeases is not { Count: > 0 } changes) return;
        using var upsert = _conn.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = "INSERT OR REPLACE INTO leases (id, ttl, remaining_ttl) VALUES ($i, $t, $r)";
        var uId = upsert.Parameters.Add("$i", SqliteType.Integer);
        var uTtl = upsert.Parameters.Add("$t", SqliteType.Integer);
        var uRem = upsert.Parameters.Add("$r", SqliteType.Integer);
        using var delete = _conn.CreateCommand();
        delete.Transaction = tx;
        delete.CommandText = "DELETE FROM leases WHERE id = $i";
        var dId = delete.Parameters.Add("$i", SqliteType.Integer);
        foreach (var (id, r) in changes)
        {
            if (r is { } lease)
            {
                uId.Value = id;
                uTtl.Value = lease.Ttl;
                uRem.Value = lease.RemainingTtl;
                upsert.ExecuteNonQuery();
            }
            else
            {
                dId.Value = id;
                delete.ExecuteNonQuery();
            }
        }
    }

    private void PublishStagedLeases() => _stagedLeases = null;

    private void LoadLeases()
    {
        Exec(LeasesSchema);
        var leases = new List<LeaseRecord>();
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT id, ttl, remaining_ttl FROM leases ORDER BY id";
        using var r = cmd.ExecuteReader();
        while (r.Read()) leases.Add(new LeaseRecord(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
        Leases = leases;
    }
}
