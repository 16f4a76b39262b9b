using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// The whole member (NodeGuardian, RaftActor, a real MvccStoreActor on SQLite) with a journal that can be
/// made to fail: a failed write is not acknowledged and changes nothing; RaftActor stops, the guardian
/// recreates it, it recovers from the journal and the member serves again by itself. The same holds when
/// the MVCC store fails: it restarts, RaftActor is restarted to re-deliver, and the member serves on.
/// </summary>
public sealed class JournalFailureSpecs : IAsyncLifetime
{
    private const string TestJournalHocon = """
        akka.persistence.journal {
          plugin = "akka.persistence.journal.test"
          test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        """;

    private readonly TempDir _dir = new("etcd-journal-failure");
    private EtcdNode _node = null!;

    public async Task InitializeAsync()
    {
        var peer = $"http://127.0.0.1:{FreePort.Next()}";
        var settings = EtcdServerSettings.Default with
        {
            DataDir = _dir.Sub("data"), ExtraHocon = TestJournalHocon, LogLevel = "warn",
            ListenPeerUrls = [peer], AdvertisePeerUrls = [peer], InitialCluster = [new("default", [peer])],
        };
        _node = await EtcdNode.StartAsync(settings).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(_node.System).JournalFor("akka.persistence.journal.test"));

    private static PutRequest Put(string key, string value) => new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };

    [Fact]
    public async Task Failed_journal_write_is_not_acknowledged_and_the_member_recovers_by_itself()
    {
        var server = _node.Server;
        var first = await server.PutAsync(Put("jf/a", "1"));

        var leaderAgain = LeaderElectedAgain();
        await Journal.OnWrite.Fail();
        var failed = await Assert.ThrowsAsync<EtcdException>(() => server.PutAsync(Put("jf/b", "lost")));
        Assert.Contains(failed.Error, new[] { EtcdErrors.Stopped, EtcdErrors.NoLeader });

        await Journal.OnWrite.Pass();
        await leaderAgain.WaitAsync(TimeSpan.FromSeconds(30)); // recreated after the backoff, recovered, elected

        var after = await server.PutAsync(Put("jf/c", "3"));
        Assert.Equal(first.Header.Revision + 1, after.Header.Revision); // the failed put never bumped the revision
        var all = await server.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("jf/"), RangeEnd = ByteString.CopyFromUtf8("jf0") });
        Assert.Equal(["jf/a", "jf/c"], all.Kvs.Select(k => k.Key.ToStringUtf8()));
    }

    [Fact]
    public async Task A_failing_mvcc_store_is_restarted_and_raft_re_delivers_so_the_member_keeps_serving()
    {
        var server = _node.Server;
        var first = await server.PutAsync(Put("mf/a", "1"));
        var status = await server.StatusAsync();

        var leaderAgain = LeaderElectedAgain();
        var mvcc = await _node.System.ActorSelection("/user/etcd/mvcc").ResolveOne(TimeSpan.FromSeconds(10));
        // An entry far past the applied index breaks the store's contiguity invariant: it throws and restarts.
        var bogus = new Etcd.Api.Raftpb.Entry { Index = status.RaftAppliedIndex + 100, Term = status.RaftTerm };
        mvcc.Tell(new Etcd.Actors.Mvcc.MvccProtocol.ApplyCommitted([bogus], status.RaftTerm));
        await leaderAgain.WaitAsync(TimeSpan.FromSeconds(30)); // raft was restarted and re-elected

        var after = await server.PutAsync(Put("mf/b", "2"));
        Assert.Equal(first.Header.Revision + 1, after.Header.Revision);
        var read = await server.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("mf/a") });
        Assert.Equal("1", read.Kvs.Single().Value.ToStringUtf8());
    }

    [Fact]
    public async Task A_store_that_keeps_failing_is_stopped_and_the_member_fails_instead_of_serving_on()
    {
        var server = _node.Server;
        await server.PutAsync(Put("ff/a", "1"));
        var status = await server.StatusAsync();
        Assert.False(_node.Failed.IsCompleted);

        var mvcc = await _node.System.ActorSelection("/user/etcd/mvcc").ResolveOne(TimeSpan.FromSeconds(10));
        // The guardian allows 10 restarts a minute; the 11th failure stops the store for good.
        var bogus = new Etcd.Api.Raftpb.Entry { Index = status.RaftAppliedIndex + 100, Term = status.RaftTerm };
        for (var i = 0; i < 11; i++) mvcc.Tell(new Etcd.Actors.Mvcc.MvccProtocol.ApplyCommitted([bogus], status.RaftTerm));

        var reason = await _node.Failed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("store", reason);
        var refused = await Assert.ThrowsAsync<EtcdException>(() => server.PutAsync(Put("ff/b", "2")));
        Assert.Equal(EtcdErrors.Stopped, refused.Error);
    }

    /// <summary>Completes on the first LeaderChanged with a leader published after this call.</summary>
    private Task LeaderElectedAgain()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = _node.System.ActorOf(Props.Create(() => new Listener(tcs)));
        _node.System.EventStream.Subscribe(listener, typeof(RaftProtocol.LeaderChanged));
        return tcs.Task;
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(TaskCompletionSource tcs) =>
            Receive<RaftProtocol.LeaderChanged>(l =>
            {
                if (l.Leader != 0) tcs.TrySetResult();
            });
    }
}
