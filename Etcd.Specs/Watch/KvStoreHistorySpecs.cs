using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Mvcc;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Watch;

/// <summary>
/// The store's two sources of watch events agree: what the event sink gets as changes are made (with previous
/// values while asked) is what a history read gives back later, and a bounded read never splits a revision.
/// </summary>
public sealed class KvStoreHistorySpecs
{
    private static (KvStore Store, List<Event> Live) Build()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        var live = new List<Event>();
        s.EventSink = live;
        s.EventPrevKv = true;
        s.Put("a", "1");                                   // 2 (creation: no previous value)
        s.Put("a", "2");                                   // 3
        s.Put("b", "1");                                   // 4
        s.Txn(new TxnRequest { Success = { PutOp("a", "3"), PutOp("c", "1"), DeleteOp("b") } }).Unwrap(); // 5: three events
        s.Delete("a");                                     // 6
        s.Put("a", "4");                                   // 7: a new generation
        s.Commit(1);
        return (s, live);
    }

    [Fact]
    public void History_gives_the_events_the_sink_got_with_the_same_previous_values()
    {
        var (s, live) = Build();
        var read = new List<Event>();
        Assert.Equal(7, s.History(1, 7, 100, withPrevKv: true, read));
        Assert.Equal(live, read);
        Assert.Null(read[0].PrevKv);
        Assert.Equal("2", read[3].PrevKv.Value.ToStringUtf8()); // the txn's put of a
        Assert.Equal("3", read[6].PrevKv.Value.ToStringUtf8()); // the delete of a
        Assert.Null(read[7].PrevKv);                            // a created again
    }

    [Fact]
    public void A_bounded_read_stops_at_a_revision_boundary()
    {
        var (s, _) = Build();
        var read = new List<Event>();
        Assert.Equal(4, s.History(2, 7, 3, withPrevKv: false, read)); // 2, 3, 4: three events, the limit
        Assert.Equal(3, read.Count);
        read.Clear();
        Assert.Equal(5, s.History(5, 7, 1, withPrevKv: false, read)); // revision 5 whole, though it is three events
        Assert.Equal(3, read.Count);
        Assert.All(read, e => Assert.Null(e.PrevKv));
    }

    [Fact]
    public void A_read_from_below_the_compacted_revision_starts_at_it()
    {
        var (s, _) = Build();
        s.Compact(5).Unwrap();
        s.Commit(2);
        var read = new List<Event>();
        Assert.Equal(7, s.History(1, 7, 100, withPrevKv: false, read));
        Assert.Equal(5, read[0].Kv.ModRevision);
        Assert.Equal(5, s.CompactedRevision);
    }
}
