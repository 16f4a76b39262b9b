using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class RaftRequestsSpecs
{
    private static PendingProposal P(ulong id) => new(id, ByteString.Empty, 0, 0, 0);

    [Fact]
    public void Stopping_fails_reads_and_the_transfer_and_gives_back_every_queued_proposal_but_not_the_appended_ones()
    {
        var r = new RaftRequests(RaftSettings.Default, 0x1, _ => true);
        var read = new MvccProtocol.ReadCommand(new RangeRequest(), new TaskCompletionSource<IMessage>());
        r.Reads.Add(read, 0);
        var transfer = new RaftProtocol.TransferLeadership(2, new TaskCompletionSource());
        r.Transfer.Start(transfer, 0);
        Assert.True(r.Batcher.TryEnqueue(P(1), 0, 0));
        Assert.True(r.Forwards.TryHold(P(2)));
        Assert.True(r.Forwards.TryForward(P(3)));
        r.Appended.Appended(7, 1, [P(4)]);

        var queued = r.FailQueued(EtcdErrors.Stopped);

        Assert.Equal(new ulong[] { 1, 2, 3 }, queued.Select(p => p.Id).Order());
        Assert.Equal((0, 0, 0), (r.Batcher.Count, r.Forwards.HeldCount, r.Forwards.ToForwardCount));
        Assert.Equal(1, r.Appended.Count); // may still be committed: not a definite failure
        Assert.Same(EtcdErrors.Stopped, Assert.IsType<EtcdException>(read.Completion.Task.Exception!.InnerException).Error);
        Assert.Same(EtcdErrors.Stopped, Assert.IsType<EtcdException>(transfer.Completion.Task.Exception!.InnerException).Error);
    }
}
