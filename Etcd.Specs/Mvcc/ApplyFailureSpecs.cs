using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// Apply never throws on a request: a committed entry whose request fails at apply (one that passed no edge
/// validation: forwarded by another member, or written by an older one) answers its waiter with etcd's error,
/// leaves the store as it was, and the entries after it are applied. Otherwise the entry would fail on every
/// member, again after every restart.
/// </summary>
public sealed class ApplyFailureSpecs() : MvccStoreActorSpecBase("apply-failure")
{
    /// <summary>Deletes a, then puts a keeping its value: the put finds no key once the delete has run (etcd 3.4 panics).</summary>
    private static TxnRequest DeleteThenKeepValue(string deleteEnd = "") => new()
    {
        Success =
        {
            DeleteOp("a", deleteEnd),
            new RequestOp { RequestPut = new PutRequest { Key = B("a"), IgnoreValue = true } },
            PutOp("z", "written before the failing op"),
        },
    };

    [Theory]
    [InlineData("")]     // point delete
    [InlineData("\0")]   // from-key delete: the case etcd 3.4's own check misses
    public void A_txn_that_would_fail_half_way_is_refused_whole_and_changes_nothing(string deleteEnd)
    {
        var store = NewStore();
        store.Put("a", "1");
        var before = store.CurrentRevision;

        var result = store.Txn(DeleteThenKeepValue(deleteEnd));

        Assert.Same(EtcdErrors.DuplicateKey, result.Error);
        Assert.Equal(before, store.CurrentRevision);
        Assert.Equal("1", store.Get("a")!.Value.ToStringUtf8());
        Assert.Null(store.Get("z"));
    }

    [Fact]
    public async Task A_committed_request_that_fails_at_apply_gets_its_error_and_later_entries_are_applied()
    {
        var mvcc = StartStore();
        var w1 = Waits.Register(1)!;
        var w2 = Waits.Register(2)!;
        var w3 = Waits.Register(3)!;
        var w5 = Waits.Register(5)!;
        var entries = new List<Entry>
        {
            MvccEntries.Put(1, "a", "1", waiter: 1),
            // Raw, as a member that skipped the edge's validator would have proposed it.
            MvccEntries.Normal(2, 2, new InternalRaftRequest { Txn = DeleteThenKeepValue() }),
            MvccEntries.Put(3, "b", "2", waiter: 3),
            // Not a request at all: there is no waiter to answer, but it must not stop the ones after it.
            new() { Index = 4, Term = 2, Type = EntryType.EntryNormal, Data = ByteString.CopyFrom(0xFF, 0xFF, 0xFF, 0xFF) },
            MvccEntries.Put(5, "c", "3", waiter: 5),
        };

        mvcc.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);

        Assert.Equal(5ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.Equal(2, ((PutResponse)await w1.Task.WaitAsync(Wait)).Header.Revision);
        var refused = await Assert.ThrowsAsync<EtcdException>(() => w2.Task.WaitAsync(Wait));
        Assert.Same(EtcdErrors.DuplicateKey, refused.Error);
        Assert.Equal(3, ((PutResponse)await w3.Task.WaitAsync(Wait)).Header.Revision);
        Assert.Equal(4, ((PutResponse)await w5.Task.WaitAsync(Wait)).Header.Revision);

        var read = MvccEntries.Read(new RangeRequest { Key = B("a"), RangeEnd = B("\0") });
        mvcc.Tell(new MvccProtocol.SerializableRead(read));
        var all = (RangeResponse)await read.Completion.Task.WaitAsync(Wait);
        Assert.Equal(["a", "b", "c"], all.Keys());
        Assert.Equal(1, all.Kvs[0].Version); // the refused txn neither deleted nor rewrote a
    }
}
