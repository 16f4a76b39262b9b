using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Snapshots with a small --snapshot-count: the journal stays bounded under a long write load, a restart
/// replays only the tail, and a follower that fell behind the leader's in-memory log is caught up by a
/// snapshot streamed over Akka.Remote in chunks.
/// </summary>
public sealed class ClusterSnapshotSpecs(ITestOutputHelper output)
{
    private static EtcdServerSettings SmallSnapshots(EtcdServerSettings s) =>
        s with { Raft = s.Raft with { SnapshotCount = 200, InMemoryLogEntries = 50, StrictReconfigCheck = false } };

    private static RangeRequest Prefix(string prefix, bool serializable = false) => new()
    {
        Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFromUtf8(prefix[..^1] + (char)(prefix[^1] + 1)),
        CountOnly = true, Serializable = serializable,
    };

    [Fact]
    public async Task A_follower_cut_off_while_the_log_moved_on_is_caught_up_by_a_snapshot()
    {
        await using var cluster = await TestCluster.StartAsync(3, SmallSnapshots);
        var leader = await cluster.LeaderAsync();
        var lagging = cluster.Up.First(i => i != leader);
        await cluster.IsolateAsync(lagging);

        const int n = 1000;
        await Task.WhenAll(Enumerable.Range(0, n).Select(i => cluster[leader].Server.PutAsync(Put($"snap/{i:D4}", $"{i}"))));
        var leaderStatus = await cluster[leader].Server.StatusAsync();
        Assert.Equal(0, SnapshotInstalls(cluster.Settings(lagging)));

        await cluster.HealAsync();
        // A linearizable read on the lagging member waits until it has applied the leader's commit index.
        var count = await cluster[lagging].Server.RangeAsync(Prefix("snap/"));
        Assert.Equal(n, count.Count);
        var status = await cluster[lagging].Server.StatusAsync();
        Assert.True(status.RaftAppliedIndex >= leaderStatus.RaftIndex);

        // And it keeps up by replication afterwards.
        await cluster[leader].Server.PutAsync(Put("snap/after", "x"));
        var after = await cluster[lagging].Server.RangeAsync(Get("snap/after"));
        Assert.Equal("x", Assert.Single(after.Kvs).Value.ToStringUtf8());
        // It got there by a snapshot (the leader's in-memory log had only the last 50 applied entries left),
        // recorded in its journal before anything after the snapshot was applied.
        Assert.Equal(1, SnapshotInstalls(cluster.Settings(lagging)));
        output.WriteLine($"lagging member m{lagging} installed a snapshot; applied {status.RaftAppliedIndex}, leader commit {leaderStatus.RaftIndex}");
    }

    [Fact]
    public async Task The_journal_stays_bounded_under_a_long_write_load_and_a_restart_replays_only_the_tail()
    {
        await using var cluster = await TestCluster.StartAsync(3, SmallSnapshots);
        var leader = await cluster.LeaderAsync();
        const int rounds = 10, perRound = 300;
        var rows = new List<long>();
        for (var r = 0; r < rounds; r++)
        {
            await Task.WhenAll(Enumerable.Range(0, perRound).Select(i => cluster[leader].Server.PutAsync(Put($"bound/{r}/{i}", "v"))));
            rows.Add(JournalRows(cluster.Settings(leader)));
        }
        output.WriteLine($"journal rows after each of {rounds} rounds of {perRound} puts: {string.Join(' ', rows)}");
        // Without snapshots the journal would keep a row per write batch forever (hundreds here); with a
        // snapshot every 200 entries it never holds more rows than the entries since the last snapshot.
        Assert.All(rows, r => Assert.True(r <= 200, $"journal kept {r} rows between snapshots of 200 entries"));

        var follower = cluster.Up.First(i => i != leader);
        await cluster.CrashAsync(follower);
        await cluster.StartMemberAsync(follower);
        var count = await cluster[follower].Server.RangeAsync(Prefix("bound/"));
        Assert.Equal(rounds * perRound, count.Count);
    }

    private static long JournalRows(EtcdServerSettings s) => Scalar(s.JournalPath, "SELECT COUNT(*) FROM journal WHERE deleted = 0");

    private static long SnapshotInstalls(EtcdServerSettings s) =>
        Scalar(s.JournalPath, "SELECT COUNT(*) FROM journal WHERE manifest = 'raftpb.SnapshotInstalled'");

    /// <summary>Reads the member's journal file directly: WAL mode lets a second connection read while the node writes.</summary>
    private static long Scalar(string db, string sql)
    {
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }
}
