using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

public sealed class MvccStoreActorSpecs : TestKit, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mvcc-actor-" + Guid.NewGuid().ToString("N"));
    private readonly EtcdServerSettings _settings;
    private readonly WaitRegistry _waits = new(1000);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public MvccStoreActorSpecs()
    {
        _settings = EtcdServerSettings.Default with { DataDir = _dir };
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private IActorRef Start() => Sys.ActorOf(MvccStoreActor.Props(_settings.MvccWithPaths, 0xAA, 0xCC, _waits));

    private void StopAndWait(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);
    }

    private static Entry Normal(ulong index, ulong id, InternalRaftRequest request)
    {
        request.ID = id;
        return new Entry { Index = index, Term = 2, Type = EntryType.EntryNormal, Data = request.ToByteString() };
    }

    private static InternalRaftRequest PutReq(string key, string value) => new() { Put = new PutRequest { Key = B(key), Value = B(value) } };

    private static MvccProtocol.ReadCommand RangeRead(string key) =>
        new(new RangeRequest { Key = B(key) }, new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));

    [Fact]
    public async Task Applied_entries_complete_their_waiters_with_headers()
    {
        var mvcc = Start();
        var w1 = _waits.Register(1)!;
        var w2 = _waits.Register(2)!;
        var w3 = _waits.Register(3)!;
        var entries = new List<Entry>
        {
            new() { Index = 1, Term = 2, Type = EntryType.EntryNormal }, // leader's empty entry
            Normal(2, 1, PutReq("a", "1")),
            Normal(3, 2, PutReq("b", "2")),
            Normal(4, 3, new InternalRaftRequest { Put = new PutRequest { Key = B("c"), Lease = 77 } }),
        };
        mvcc.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);
        Assert.Equal(4ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);

        var r1 = (PutResponse)await w1.Task.WaitAsync(Wait);
        var r2 = (PutResponse)await w2.Task.WaitAsync(Wait);
        Assert.Equal((0xCCul, 0xAAul, 2L, 2ul), (r1.Header.ClusterId, r1.Header.MemberId, r1.Header.Revision, r1.Header.RaftTerm));
        Assert.Equal(3, r2.Header.Revision);
        var ex = await Assert.ThrowsAsync<EtcdException>(() => w3.Task.WaitAsync(Wait));
        Assert.Same(EtcdErrors.LeaseNotFound, ex.Error);
        Assert.Equal(0, _waits.Count);
    }

    [Fact]
    public async Task Reapplying_entries_at_or_below_the_consistent_index_after_restart_is_a_no_op()
    {
        var mvcc = Start();
        var batch = new List<Entry> { Normal(1, 10, PutReq("a", "1")), Normal(2, 11, PutReq("a", "2")) };
        mvcc.Tell(new MvccProtocol.ApplyCommitted(batch, 1), TestActor);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        StopAndWait(mvcc);

        mvcc = Start();
        var w = _waits.Register(11)!;
        var more = new List<Entry>(batch) { Normal(3, 12, PutReq("a", "3")) };
        mvcc.Tell(new MvccProtocol.ApplyCommitted(more, 1), TestActor);
        Assert.Equal(3ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.False(w.Task.IsCompleted); // entry 2 was not applied again
        _waits.Forget(11);

        var read = RangeRead("a");
        mvcc.Tell(new MvccProtocol.SerializableRead(read));
        var resp = (RangeResponse)await read.Completion.Task.WaitAsync(Wait);
        Assert.Equal(3, resp.Kvs[0].Version);
        Assert.Equal(4, resp.Header.Revision);
    }

    [Fact]
    public void A_gap_in_the_entries_crashes_the_actor_and_changes_nothing()
    {
        var mvcc = Start();
        EventFilter.Exception<InvalidOperationException>(contains: "apply gap").ExpectOne(() =>
            mvcc.Tell(new MvccProtocol.ApplyCommitted(new List<Entry> { Normal(2, 1, PutReq("a", "1")) }, 1), TestActor));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        // A restarted store applies only the RaftActor that announces itself after the restart (a recreated one).
        mvcc.Tell(new MvccProtocol.RaftStarted(), TestActor);
        mvcc.Tell(new MvccProtocol.ApplyCommitted(new List<Entry> { Normal(1, 1, PutReq("a", "1")) }, 1), TestActor);
        Assert.Equal(1ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
    }

    [Fact]
    public async Task ReadAt_waits_for_the_applied_index()
    {
        var mvcc = Start();
        var early = RangeRead("a");
        var later = RangeRead("a");
        mvcc.Tell(new MvccProtocol.ReadAt(3, 1, new[] { later }));
        mvcc.Tell(new MvccProtocol.ReadAt(1, 1, new[] { early }));

        mvcc.Tell(new MvccProtocol.ApplyCommitted(new List<Entry> { Normal(1, 20, PutReq("a", "1")) }, 1), TestActor);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        var r1 = (RangeResponse)await early.Completion.Task.WaitAsync(Wait);
        Assert.Equal("1", r1.Kvs[0].Value.ToStringUtf8());
        Assert.False(later.Completion.Task.IsCompleted);

        mvcc.Tell(new MvccProtocol.ApplyCommitted(new List<Entry> { Normal(2, 21, PutReq("a", "2")), Normal(3, 22, PutReq("a", "3")) }, 1), TestActor);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        var r3 = (RangeResponse)await later.Completion.Task.WaitAsync(Wait);
        Assert.Equal("3", r3.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(4, r3.Header.Revision);
    }

    [Fact]
    public async Task Reads_fail_with_etcd_errors_and_read_only_txns_are_served()
    {
        var mvcc = Start();
        mvcc.Tell(new MvccProtocol.ApplyCommitted(new List<Entry> { Normal(1, 30, PutReq("a", "1")) }, 1), TestActor);
        ExpectMsg<MvccProtocol.Applied>(Wait);

        var future = new MvccProtocol.ReadCommand(new RangeRequest { Key = B("a"), Revision = 99 },
            new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        mvcc.Tell(new MvccProtocol.SerializableRead(future));
        var ex = await Assert.ThrowsAsync<EtcdException>(() => future.Completion.Task.WaitAsync(Wait));
        Assert.Same(EtcdErrors.FutureRev, ex.Error);

        var txn = new MvccProtocol.ReadCommand(new TxnRequest { Success = { RangeOp("a") } },
            new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        mvcc.Tell(new MvccProtocol.ReadAt(1, 1, new[] { txn }));
        var tr = (TxnResponse)await txn.Completion.Task.WaitAsync(Wait);
        Assert.True(tr.Succeeded);
        Assert.Equal("1", tr.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(2, tr.Header.Revision);
    }

    [Fact]
    public async Task Status_is_filled_with_version_sizes_and_applied_index()
    {
        var mvcc = Start();
        mvcc.Tell(new MvccProtocol.ApplyCommitted(new List<Entry> { Normal(1, 40, PutReq("a", "1")) }, 3), TestActor);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        var tcs = new TaskCompletionSource<StatusReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        mvcc.Tell(new MvccProtocol.FillStatus(new StatusReport { Leader = 0xAA, RaftTerm = 3, RaftIndex = 1 }, tcs));
        var s = await tcs.Task.WaitAsync(Wait);
        Assert.Equal("3.4.23", s.Version);
        Assert.True(s.DbSize > 0);
        Assert.Equal(1ul, s.RaftAppliedIndex);
        Assert.Equal((0xCCul, 0xAAul, 2L, 3ul), (s.Header.ClusterId, s.Header.MemberId, s.Header.Revision, s.Header.RaftTerm));
        Assert.True(File.Exists(_settings.BackendPath));
    }
}
