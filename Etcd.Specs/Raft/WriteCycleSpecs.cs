using Etcd.Actors.Raft;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class WriteCycleSpecs
{
    private static PendingProposal P(ulong id) => new(id, ByteString.Empty, 0, 0, 0);

    [Fact]
    public void One_process_ready_is_queued_however_often_it_is_asked_for()
    {
        var w = new WriteCycle();
        Assert.True(w.Schedule());
        Assert.False(w.Schedule());
        Assert.True(w.Scheduled);
        w.Run();
        Assert.False(w.Scheduled);
        Assert.True(w.Schedule());
    }

    [Fact]
    public void A_write_carries_its_proposals_until_it_is_durable_and_a_failed_one_gives_them_back_once()
    {
        var w = new WriteCycle();
        w.Carry([P(1), P(2)]);
        w.Begin(sentEarly: true);
        w.Write();
        Assert.True(w.InFlight);
        Assert.True(w.SentEarly);
        Assert.Equal([1UL, 2], w.Carried.Select(p => p.Id));
        Assert.Throws<InvalidOperationException>(() => w.Begin(sentEarly: false)); // no next Ready while one is written
        Assert.Equal([1UL, 2], w.TakeCarried().Select(p => p.Id));
        Assert.Empty(w.TakeCarried());

        w.Durable();
        Assert.False(w.InFlight);
        Assert.False(w.SentEarly);
        w.Carry([P(3)]);
        w.Begin(sentEarly: false);
        w.Write();
        w.Durable();
        Assert.Empty(w.Carried);
        Assert.Equal((2L, 2L), (w.Readies, w.Writes));
    }
}
