using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Wait;
using Etcd.Actors.Server;
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
public sealed class ApplyFailureSpecs : TestKit, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "apply-failure-" + Guid.NewGuid().ToString("N"));
    private readonly EtcdServerSettings _settings;
    private readonly WaitRegistry _waits = new(1000);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public ApplyFailureSpecs() => _settings = EtcdServerSettings.Default with { DataDir = _dir };

    void IDisposable.Dispose()
    {
        Shutdown();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static Entry Normal(ulong index, ulong id, InternalRaftRequest request)
    {
        request.ID = id;
        return new Entry { Index = index, Term = 2, Type = EntryType.EntryNormal, Data = request.ToByteString() };
    }

    private static InternalRaftRequest PutReq(string key, string value) => new() { Put = new PutRequest { Key = B(key), Value = B(value) } };

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
        var mvcc = Sys.ActorOf(MvccStoreActor.Props(_settings.MvccWithPaths, 0xAA, 0xCC, _waits));
        var w1 = _waits.Register(1)!;
        var w2 = _waits.Register(2)!;
        var w3 = _waits.Register(3)!;
        var w5 = _waits.Register(5)!;
        var entries = new List<Entry>
        {
            Normal(1, 1, PutReq("a", "1")),
            // Raw, as a member that skipped the edge's validator would have proposed it.
            Normal(2, 2, new InternalRaftRequest { Txn = DeleteThenKeepValue() }),
            Normal(3, 3, PutReq("b", "2")),
            // Not a request at all: there is no waiter to answer, but it must not stop the ones after it.
            new() { Index = 4, Term = 2, Type = EntryType.EntryNormal, Data = ByteString.CopyFrom(0xFF, 0xFF, 0xFF, 0xFF) },
            Normal(5, 5, PutReq("c", "3")),
        };

        mvcc.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);

        Assert.Equal(5ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.Equal(2, ((PutResponse)await w1.Task.WaitAsync(Wait)).Header.Revision);
        var refused = await Assert.ThrowsAsync<EtcdException>(() => w2.Task.WaitAsync(Wait));
        Assert.Same(EtcdErrors.DuplicateKey, refused.Error);
        Assert.Equal(3, ((PutResponse)await w3.Task.WaitAsync(Wait)).Header.Revision);
        Assert.Equal(4, ((PutResponse)await w5.Task.WaitAsync(Wait)).Header.Revision);

        var read = new MvccProtocol.ReadCommand(new RangeRequest { Key = B("a"), RangeEnd = B("\0") },
            new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        mvcc.Tell(new MvccProtocol.SerializableRead(read));
        var all = (RangeResponse)await read.Completion.Task.WaitAsync(Wait);
        Assert.Equal(["a", "b", "c"], all.Keys());
        Assert.Equal(1, all.Kvs[0].Version); // the refused txn neither deleted nor rewrote a
    }
}
