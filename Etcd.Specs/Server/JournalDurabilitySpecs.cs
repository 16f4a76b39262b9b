using Akka.Persistence.Sql.Config;
using Etcd.Actors.Serialization;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// The journal's connections run with synchronous=FULL because we set it, not because the SQLite build's
/// default for WAL connections happens to be FULL; and a SQLite that does not honour it is refused.
/// </summary>
public sealed class JournalDurabilitySpecs
{
    [Fact]
    public async Task Every_journal_connection_of_a_member_goes_through_the_interceptor_that_sets_synchronous_full_once_per_native_connection()
    {
        using var dir = new TempDir("etcd-journal-sync");
        var node = await SingleMember.StartAsync(SingleMember.Settings(dir));
        try
        {
            // The journal plugin takes its connection options from this setup instead of its HOCON string.
            Assert.True(node.System.Settings.Setup.Get<DataOptionsSetup>().HasValue, "the journal plugin gets no DataOptionsSetup");
            var connections = node.JournalConnections!;
            var before = connections.Opened;
            for (var i = 0; i < 20; i++)
                await node.Server.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"sync/{i}"), Value = ByteString.CopyFromUtf8("1") });
            Assert.True(before > 0, "recovery read the journal without the interceptor");
            Assert.True(connections.Opened > before, "the puts' journal writes opened no connection through the interceptor");
            Assert.True(connections.Opened >= before + 20, $"20 puts opened {connections.Opened - before} journal connections");
            // Each native connection the pool hands out is configured once, not at every open (JournalConnectionInterceptor).
            Assert.InRange(connections.Configured, 1, 8);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public void The_journal_pragmas_turn_a_lax_connection_into_a_full_one()
    {
        using var dir = new TempDir("etcd-journal-sync");
        using var conn = new SqliteConnection($"Data Source={dir.Sub("raft.db")};Pooling=False");
        conn.Open();
        Exec(conn, "PRAGMA journal_mode=WAL;");
        Exec(conn, "PRAGMA synchronous=OFF;");

        SqlitePragmas.ApplyJournalPragmas(conn);

        Assert.Equal(SqlitePragmas.SynchronousFull, Convert.ToInt64(Exec(conn, "PRAGMA synchronous;")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_journal_connection_below_full_is_refused_with_a_clear_reason(long synchronous)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => SqlitePragmas.CheckSynchronous(synchronous, "/data/member/raft.db"));
        Assert.Equal($"the Raft journal /data/member/raft.db runs with PRAGMA synchronous={synchronous}; FULL (2) is required so that an acknowledged write survives power loss",
            refused.Message);
        SqlitePragmas.CheckSynchronous(2, "/data/member/raft.db");
        SqlitePragmas.CheckSynchronous(3, "/data/member/raft.db"); // EXTRA is stricter still
    }

    private static object? Exec(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
