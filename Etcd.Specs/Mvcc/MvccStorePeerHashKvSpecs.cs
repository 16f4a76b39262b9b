using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// A <see cref="PeerHashKVRequest"/> is answered to anyone on the peer port (as etcd serves /members/hashkv), and
/// a hash reads every kept revision on the store's thread: what one sender can make the store compute is bounded
/// (<see cref="PeerHashKvGate"/>), asking again for what did not change costs nothing.
/// </summary>
public sealed class MvccStorePeerHashKvSpecs : TestKit, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly TempDir _dir = new("mvcc-peer-hash");

    void IDisposable.Dispose()
    {
        Shutdown();
        _dir.Dispose();
    }

    private IActorRef StartWithRevisions(int puts)
    {
        var settings = EtcdServerSettings.Default with { DataDir = _dir.Path };
        var mvcc = Sys.ActorOf(MvccStoreActor.Props(settings.MvccWithPaths, 0xAA, 0xCC, new WaitRegistry(10)));
        var entries = Enumerable.Range(1, puts).Select(i => new Entry
        {
            Index = (ulong)i, Term = 2, Type = EntryType.EntryNormal,
            Data = new InternalRaftRequest { ID = (ulong)i, Put = new PutRequest { Key = ByteString.CopyFromUtf8($"k{i % 3}"), Value = ByteString.CopyFromUtf8($"v{i}") } }.ToByteString(),
        }).ToList();
        mvcc.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);
        Assert.Equal((ulong)puts, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        return mvcc;
    }

    [Fact]
    public void One_sender_asking_for_ever_new_revisions_gets_a_few_hashes_then_too_many_requests()
    {
        var mvcc = StartWithRevisions(30);
        const int asked = 29;
        for (var rev = 2; rev < 2 + asked; rev++) mvcc.Tell(new PeerHashKVRequest { Revision = rev }, TestActor);
        var answers = Enumerable.Range(0, asked).Select(_ => ExpectMsg<PeerHashKVResponse>(Wait)).ToList();

        var hashed = answers.Count(a => a.Response is not null);
        var refused = answers.Count(a => a.Error == EtcdErrors.TooManyRequests.Message);
        Assert.Equal(asked, hashed + refused);
        // However slow this machine, 29 answers do not take the ~14 s the sender's bucket would need to refill for all.
        Assert.InRange(hashed, 1, asked - 10);
    }

    [Fact]
    public void Asking_again_for_an_unchanged_revision_is_answered_from_the_last_hash_however_often()
    {
        var mvcc = StartWithRevisions(5);
        for (var i = 0; i < 20; i++) mvcc.Tell(new PeerHashKVRequest { Revision = 4 }, TestActor);
        var answers = Enumerable.Range(0, 20).Select(_ => ExpectMsg<PeerHashKVResponse>(Wait)).ToList();
        Assert.All(answers, a => Assert.Equal((6L, 0xCCUL, 0xAAUL), (a.Response.Header.Revision, a.Response.Header.ClusterId, a.Response.Header.MemberId)));
        Assert.Single(answers.Select(a => a.Response.Hash).Distinct());
    }
}
