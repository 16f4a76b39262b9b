using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;

namespace Etcd.Actors.Mvcc;

public sealed partial class SqliteBackend
{
    public void ForEachRevision(long maxMain, Action<Revision, KeyValue, bool> visit) => ForEachRow(maxMain, withValue: true, visit);

    /// <summary>
    /// Maintenance.Hash over this backend (etcd hashes every bucket of its bbolt file except
    /// <c>meta/consistent_index</c>): CRC-32C over each table's name, then each of its rows in primary-key
    /// order, every column as SQLite returns it (integers 8 bytes big-endian, blobs and text as their bytes,
    /// each preceded by its length so that adjacent columns cannot run together). The consistent index is left
    /// out, as etcd leaves it out: members at the same applied state then hash equally. Tables: kv, meta,
    /// members, removed_members, alarms, leases. Not comparable with etcd's (the files differ); meant for comparing
    /// members of this implementation, and for tests.
    /// </summary>
    public uint HashAll()
    {
        if (_pending.Count > 0 || _pendingDeletes.Count > 0) throw new InvalidOperationException("hash with uncommitted writes");
        var crc = new Crc32C();
        HashTable(ref crc, "kv", "SELECT * FROM kv ORDER BY rev_main, rev_sub");
        HashTable(ref crc, "meta", $"SELECT name, value FROM meta WHERE name <> '{MetaConsistentIndex}' ORDER BY name");
        HashTable(ref crc, "members", "SELECT * FROM members ORDER BY 1");
        HashTable(ref crc, "removed_members", "SELECT * FROM removed_members ORDER BY 1");
        HashTable(ref crc, "alarms", "SELECT * FROM alarms ORDER BY 1, 2");
        HashTable(ref crc, "leases", "SELECT * FROM leases ORDER BY 1");
        return crc.Value;
    }

    private void HashTable(ref Crc32C crc, string table, string sql)
    {
        crc.Append(System.Text.Encoding.UTF8.GetBytes(table));
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        Span<byte> number = stackalloc byte[8];
        while (reader.Read())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                byte[] bytes = reader.IsDBNull(i) ? [] : reader.GetFieldType(i) == typeof(long)
                    ? BigEndian(reader.GetInt64(i))
                    : reader.GetFieldType(i) == typeof(string) ? System.Text.Encoding.UTF8.GetBytes(reader.GetString(i)) : reader.GetFieldValue<byte[]>(i);
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(number, bytes.Length);
                crc.Append(number);
                crc.Append(bytes);
            }
        }
    }

    private static byte[] BigEndian(long v)
    {
        var b = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(b, v);
        return b;
    }
}
