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
}
