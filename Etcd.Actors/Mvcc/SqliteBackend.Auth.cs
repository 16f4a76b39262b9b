using Etcd.Actors.Auth.Core;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// The auth state (etcd keeps it in the backend's auth, authUsers and authRoles buckets), as the rows
/// <see cref="AuthStateCodec"/> makes, in etcd's layout and encoding: written whole in the same transaction as the batch
/// that changed it, so after a kill -9 the users, roles, enabled flag and auth revision match the consistent index, and
/// a snapshot (a copy of this file) carries them.
/// </summary>
public sealed partial class SqliteBackend
{
    private const string AuthSchema = """
        CREATE TABLE IF NOT EXISTS auth (
          bucket TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;
        """;

    private IReadOnlyList<AuthRow>? _stagedAuth;

    /// <summary>Buffers the whole auth state; <see cref="Commit"/> writes it with the rest of the batch.</summary>
    public void StageAuth(IReadOnlyList<AuthRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _stagedAuth = rows;
    }

    private void WriteStagedAuth(SqliteTransaction tx)
    {
        if (_stagedAuth is not { } rows) return;
        using (var clear = _conn.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "DELETE FROM auth";
            clear.ExecuteNonQuery();
        }
        using var insert = _conn.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO auth (bucket, key, value) VALUES ($b, $k, $v)";
        var bucket = insert.Parameters.Add("$b", SqliteType.Text);
        var key = insert.Parameters.Add("$k", SqliteType.Blob);
        var value = insert.Parameters.Add("$v", SqliteType.Blob);
        foreach (var row in rows)
        {
            bucket.Value = row.Bucket;
            key.Value = row.Key.ToByteArray();
            value.Value = row.Value.ToByteArray();
            insert.ExecuteNonQuery();
        }
    }

    private void PublishStagedAuth() => _stagedAuth = null;

    /// <summary>The auth state as committed (a fresh store when the table is empty); corrupt rows fail loudly.</summary>
    public AuthStore LoadAuth()
    {
        Exec(AuthSchema);
        var rows = new List<AuthRow>();
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = "SELECT bucket, key, value FROM auth ORDER BY bucket, key";
        using var r = cmd.ExecuteReader();
        while (r.Read())
            rows.Add(new AuthRow(r.GetString(0), ByteString.CopyFrom((byte[])r.GetValue(1)), ByteString.CopyFrom((byte[])r.GetValue(2))));
        return AuthStateCodec.FromRows(rows);
    }
}
