using Etcd.Actors.Mvcc;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Xunit;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// When the backend's raw statement steps again after SQLITE_BUSY: in autocommit (the point read) it waits and steps
/// again; inside a transaction (the commit's row insert) it never does, so the error rolls the batch back instead of a
/// retried insert landing in a transaction SQLite may have ended (https://www.sqlite.org/rescode.html#busy).
/// </summary>
public sealed class SqliteStatementSpecs
{
    private static SqliteConnection OpenMemory()
    {
        var conn = new SqliteConnection("Data Source=:memory:");
        conn.Open();
        using var create = conn.CreateCommand();
        create.CommandText = "CREATE TABLE t (a INTEGER NOT NULL)";
        create.ExecuteNonQuery();
        return conn;
    }

    private static int Count(SqliteConnection conn)
    {
        using var c = conn.CreateCommand();
        c.CommandText = "SELECT count(*) FROM t";
        return Convert.ToInt32(c.ExecuteScalar());
    }

    [Fact]
    public void Busy_in_autocommit_is_stepped_again()
    {
        using var conn = OpenMemory();
        var busy = 2;
        var steps = 0;
        using var insert = new SqliteStatement(conn, "INSERT INTO t (a) VALUES (?1)", () => { steps++; return busy-- > 0 ? raw.SQLITE_BUSY : raw.SQLITE_OK; });
        insert.Bind(1, 7);
        insert.Execute();
        Assert.Equal(3, steps);
        Assert.Equal(1, Count(conn));
    }

    [Fact]
    public void Busy_inside_a_transaction_is_thrown_at_once_and_the_transaction_rolls_back()
    {
        using var conn = OpenMemory();
        var steps = 0;
        using var insert = new SqliteStatement(conn, "INSERT INTO t (a) VALUES (?1)", () => { steps++; return steps == 2 ? raw.SQLITE_BUSY : raw.SQLITE_OK; });
        using (var tx = conn.BeginTransaction())
        {
            insert.Bind(1, 1);
            insert.Execute();
            insert.Bind(1, 2);
            var e = Assert.Throws<SqliteException>(insert.Execute);
            Assert.Equal(raw.SQLITE_BUSY, e.SqliteErrorCode);
            Assert.Equal(2, steps); // not stepped again
        }
        Assert.Equal(0, Count(conn));
    }

    [Fact]
    public void The_native_calls_reach_the_library_SQLitePCL_uses_and_read_back_what_it_wrote()
    {
        // A statement pointer passed to another copy of the library would corrupt memory: the check fails loudly instead.
        SqliteNative.CheckSameLibrary();
        using var conn = OpenMemory();
        using (var create = conn.CreateCommand())
        {
            create.CommandText = "CREATE TABLE b (k BLOB NOT NULL, v BLOB NOT NULL, n INTEGER NOT NULL); " +
                                 "INSERT INTO b VALUES (x'6b31', x'', -5), (x'6b32', randomblob(70000), 9007199254740993)";
            create.ExecuteNonQuery();
        }
        var expected = new List<(byte[], byte[], long)>();
        using (var read = conn.CreateCommand())
        {
            read.CommandText = "SELECT k, v, n FROM b ORDER BY k";
            using var r = read.ExecuteReader();
            while (r.Read()) expected.Add(((byte[])r[0], (byte[])r[1], r.GetInt64(2)));
        }
        var actual = new List<(byte[], byte[], long)>();
        using var stmt = new SqliteStatement(conn, "SELECT k, v, n FROM b WHERE n > ?1 ORDER BY k");
        stmt.Bind(1, long.MinValue);
        while (stmt.Step())
        {
            var k = new byte[stmt.Bytes(0)];
            var v = new byte[stmt.Bytes(1) + 3];
            stmt.CopyBlob(0, k, 0, k.Length);
            stmt.CopyBlob(1, v, 3, v.Length - 3);
            actual.Add((k, v[3..], stmt.Int64(2)));
        }
        stmt.Reset();
        Assert.Equal(2, actual.Count);
        Assert.Equal(expected.Select(e => (Convert.ToHexString(e.Item1), Convert.ToHexString(e.Item2), e.Item3)),
            actual.Select(a => (Convert.ToHexString(a.Item1), Convert.ToHexString(a.Item2), a.Item3)));
    }
}
