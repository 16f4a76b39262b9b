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
    private readonly TempDir _dir = new("etcd-journal-failure");
    private EtcdNode _node = null!;

    public async Task InitializeAsync() => _node = await TestJournals.StartSingleMemberAsync(_dir);

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private ITestJournal Journal => TestJournals.Of(_node.System);

    private static PutRequest Put(string key, string value) => new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };

    [Fact]
    public async Task Failed_journal_write_is_not_acknowledged_and_the_member_recovers_by_itself()
    {
        var server = _node.Server;
        var first = await server.PutAsync(Put("jf/a", "1"));

        var leaderAgain = LeaderElectedAgain();
        await Journal.OnWrite.Fail();
        var failed = await Assert.ThrowsAsync<EtcdException>(() => server.PutAsync(Put("jf/b", "lost")));
        // The write failed, but a failed journal call is not proof that nothing reached the disk: ambiguous.
        Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, failed.Error);

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
        // Sent as the current RaftActor: the store applies (and so trips on) only its batches.
        var raft = await _node.System.ActorSelection("/user/etcd/raft").ResolveOne(TimeSpan.FromSeconds(10));
        mvcc.Tell(new Etcd.Actors.Mvcc.MvccProtocol.ApplyCommitted([bogus], status.RaftTerm), raft);
        await leaderAgain.WaitAsync(TimeSpan.FromSeconds(30)); // raft was restarted and re-elected

        var after = await server.PutAsync(Put("mf/b", "2"));
        Assert.Equal(first.Header.Revision + 1, after.Header.Revision);
        var read = await server.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("mf/a") });
        Assert.Equal("1", read.Kvs.Single().Value.ToStringUtf8());
    }

    [Fact]
    public async Task A_proposal_in_the_failed_write_is_ambiguous_and_one_only_queued_behind_it_fails_for_certain()
    {
        var server = _node.Server;
        await server.PutAsync(Put("aq/warm", "0"));
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Journal.OnWrite.SetInterceptorAsync(new HeldWrite(writing, release, fail: true));

        var inWrite = server.PutAsync(Put("aq/a", "in the write"));
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Arrives while the write is in flight: it waits in the queue and is never stepped into the log.
        var queued = server.PutAsync(Put("aq/b", "queued"));
        // Status goes to RaftActor after that Propose from this same thread: once it answers, the proposal is queued.
        await server.StatusAsync();
        release.SetResult();

        var ambiguous = await Assert.ThrowsAsync<EtcdException>(() => inWrite);
        Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, ambiguous.Error);
        var definite = await Assert.ThrowsAsync<EtcdException>(() => queued);
        Assert.Equal(EtcdErrors.Stopped, definite.Error);
        await Journal.OnWrite.Pass();
    }

    [Fact]
    public async Task A_member_that_stops_while_a_proposal_is_being_written_answers_it_as_ambiguous()
    {
        var server = _node.Server;
        await server.PutAsync(Put("as/warm", "0"));
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Journal.OnWrite.SetInterceptorAsync(new HeldWrite(writing, release, fail: false));

        var put = server.PutAsync(Put("as/a", "maybe"));
        await writing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var stopping = _node.DisposeAsync().AsTask();

        var ambiguous = await Assert.ThrowsAsync<EtcdException>(() => put.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(EtcdErrors.TimeoutDueToLeaderFail, ambiguous.Error);
        release.SetResult();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_raft_actor_that_keeps_failing_to_recover_stops_the_member_after_a_bounded_number_of_tries()
    {
        var server = _node.Server;
        await server.PutAsync(Put("rf/a", "1"));
        Assert.False(_node.Failed.IsCompleted);

        // Every recovery from now on fails; a failed write makes RaftActor stop and be recreated.
        await Journal.OnRecovery.Fail();
        await Journal.OnWrite.Fail();
        await Assert.ThrowsAsync<EtcdException>(() => server.PutAsync(Put("rf/b", "2")));

        var reason = await _node.Failed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains($"raft could not recover its journal in {NodeGuardian.MaxFailedRecoveries} attempts", reason);
        var refused = await Assert.ThrowsAsync<EtcdException>(() => server.PutAsync(Put("rf/c", "3")));
        Assert.Equal(EtcdErrors.Stopped, refused.Error);
    }

    /// <summary>Holds the next journal write until released, then lets it pass or fail; later writes pass.</summary>
    private sealed class HeldWrite(TaskCompletionSource writing, TaskCompletionSource release, bool fail) : IJournalInterceptor
    {
        private int _held;

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (Interlocked.Exchange(ref _held, 1) == 1) return;
            writing.TrySetResult();
            await release.Task.ConfigureAwait(false);
            if (fail) throw new IOException("injected journal write failure");
        }
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
