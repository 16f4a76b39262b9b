using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// Status names the leader RaftActor acts on, not the one its Raft core has just decided. A member elected while a
/// journal write is in flight is leader in the core at once, but the actor takes the Ready that carries the change only
/// after that write: reporting the core's word let a client send MoveLeader to a member that then answered "not
/// leader" (seen many times in a row under CPU load, AnotherClusterSpecs).
/// </summary>
public sealed class RaftActorStatusSpecs : Akka.TestKit.Xunit2.TestKit
{
    private readonly ForgedPeers _peers;

    public RaftActorStatusSpecs() : base(RaftActorSpecs.TestJournalConfig, "raft-actor-status-specs")
    {
        _peers = new ForgedPeers(this);
    }

    /// <summary>Holds the next journal write until released; later writes pass.</summary>
    private sealed class HeldWrite(TaskCompletionSource writing, Task release) : IJournalInterceptor
    {
        private int _held;

        public async Task InterceptAsync(IPersistentRepresentation message)
        {
            if (Interlocked.Exchange(ref _held, 1) == 1) return;
            writing.TrySetResult();
            await release.ConfigureAwait(false);
        }
    }

    [Fact]
    public async Task A_member_elected_while_its_write_is_held_reports_itself_leader_only_once_it_acts_as_one()
    {
        var s = await _peers.StartAsync();
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _peers.Journal.OnWrite.SetInterceptorAsync(new HeldWrite(writing, release.Task));
        try
        {
            // The campaign's write (term and vote) is held; B's and C's votes are a quorum without A's own.
            ForgedPeers.Elect(s);
            await writing.Task.WaitAsync(ForgedPeers.Wait);
            var during = ForgedPeers.Status(s);
            Assert.NotEqual(s.A, during.Leader);

            // What a client told "A leads" would do next: it is refused, as it was before.
            var moved = new TaskCompletionSource();
            s.Raft.Tell(new RaftProtocol.TransferLeadership(s.B, moved));
            var refused = await Assert.ThrowsAsync<EtcdException>(() => moved.Task.WaitAsync(ForgedPeers.Wait));
            Assert.Equal(EtcdErrors.NotLeader, refused.Error);
        }
        finally
        {
            release.TrySetResult();
        }

        await AwaitAssertAsync(() => Assert.Equal(s.A, ForgedPeers.Status(s).Leader), ForgedPeers.Wait);
    }
}
