using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Dispatch.SysMsg;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Akka.Serialization;
using Xunit;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Layer 1 of the peer port's trust model (docs/design.md): nothing outside the peer protocol is constructed from
/// the network. Akka.Remote's untrusted mode drops Terminate but lets the other system messages through, and
/// several of Akka's serializers build whatever type the sender names; peer-port.conf replaces each of them with
/// a refusing one. A stranger (<see cref="PeerStranger"/>, a real ActorSystem on loopback) sends what untrusted
/// mode alone let through; the member keeps serving, nothing is suspended, restarted or failed, and the refusals
/// are logged once per sender per 30 s.
/// </summary>
public sealed class PeerSystemMessageSpecs
{
    private const string RaftPath = "/user/etcd/raft";
    private const string MvccPath = "/user/etcd/mvcc";
    private const string GuardianPath = "/user/etcd";

    [Fact]
    public async Task System_messages_from_a_stranger_neither_suspend_nor_restart_an_actor_nor_fail_the_member()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var victim = (leader + 1) % 3;
        await cluster[victim].Server.PutAsync(Put("k", "before"));
        var before = await cluster.ViewsAsync();
        var warnings = new WarningLog(cluster[victim].System);
        var refusals = PeerPortRefusals.Get(cluster[victim].System);
        var refusedBefore = refusals.Refused;

        await using var stranger = PeerStranger.Start();
        var settings = cluster.Settings(victim);
        IInternalActorRef At(string path) => (IInternalActorRef)stranger.At(settings, path);
        const int rounds = 10;
        for (var i = 0; i < rounds; i++)
        {
            // Freezes RaftActor's mailbox for good: the member would take no write and answer no peer.
            At(RaftPath).SendSystemMessage(new Suspend());
            // Restarts the store in place, which restarts RaftActor (NodeGuardian: "mvcc store restarted").
            At(MvccPath).SendSystemMessage(new Recreate(new InvalidOperationException("from a stranger")));
            // NodeGuardian watches the store: "the store stopped" makes the member give up and exit.
            At(GuardianPath).SendSystemMessage(new DeathWatchNotification(stranger.At(settings, MvccPath), existenceConfirmed: true, addressTerminated: false));
        }
        // System messages are redelivered until acknowledged, so all of them arrive: wait until each was refused.
        await WaitUntilAsync(() => Task.FromResult(refusals.Refused - refusedBefore >= 3 * rounds),
            $"the member did not refuse all {3 * rounds} of the stranger's system messages");
        // The stranger's association is still up and served: the gateway answers over it.
        await stranger.BarrierAsync(settings);

        await cluster[victim].Server.PutAsync(Put("k", "after"));
        Assert.Equal("after", Assert.Single((await cluster[victim].Server.RangeAsync(Get("k"))).Kvs).Value.ToStringUtf8());
        await cluster[leader].Server.PutAsync(Put("k2", "via the leader"));
        Assert.Equal("via the leader", Assert.Single((await cluster[victim].Server.RangeAsync(Get("k2"))).Kvs).Value.ToStringUtf8());
        if (cluster[victim].Failed.IsCompleted) Assert.Fail($"the member failed: {await cluster[victim].Failed}");
        await warnings.SnapshotAsync();
        Assert.Equal(0, warnings.Count("mvcc store restarted"));
        Assert.Equal(0, warnings.Count("raft actor stopped"));
        // Thirty refusals from one sender within 30 s: one line, naming the sender and what was refused.
        Assert.Equal(1, warnings.Count("rafthttp: refused"));
        Assert.Equal(1, warnings.Count($"refused a system message (Suspend, Resume, Recreate, Watch, DeathWatchNotification, ...) (serializer 22, manifest [Akka.Dispatch.SysMsg.Suspend"));
        Assert.Equal(1, warnings.Count($"remote-address={stranger.Address}"));
        Assert.Equal(before, await cluster.ViewsAsync());
    }

    [Fact]
    public async Task A_status_failure_from_a_stranger_is_refused_without_constructing_its_exception()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var warnings = new WarningLog(cluster[0].System);
        var constructed = ConstructionWitness.Constructed;

        await using var stranger = PeerStranger.Start();
        // Akka's misc serializer would load the type named by the sender and call its (SerializationInfo, StreamingContext) constructor.
        stranger.At(cluster.Settings(0), RaftPath).Tell(new Status.Failure(new ConstructionWitness()), stranger.Self);
        stranger.At(cluster.Settings(0)).Tell(new Status.Failure(new ConstructionWitness()), stranger.Self);
        stranger.At(cluster.Settings(0), RaftPath).Tell(Kill.Instance, stranger.Self);
        await stranger.BarrierAsync(cluster.Settings(0));

        Assert.Equal(constructed, ConstructionWitness.Constructed);
        await warnings.SnapshotAsync();
        Assert.Equal(1, warnings.Count("refused one of Akka's own messages members never exchange (serializer 16, manifest [STF])"));
        await cluster[0].Server.PutAsync(Put("k", "serves"));
        Assert.Equal(0, warnings.Count("raft actor stopped"));
    }

    /// <summary>
    /// What a member cannot read is logged once per sender per 30 s, by us, and not by Akka for every message
    /// ("Deserialization failed ... Transient association error"), which let a stranger fill the log at network
    /// speed: protobuf bytes that do not parse, a protobuf manifest the member does not know, strings (Akka's
    /// primitive serializer).
    /// </summary>
    [Fact]
    public async Task What_a_member_cannot_read_is_logged_once_per_sender_not_once_per_message()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var warnings = new WarningLog(cluster[0].System);

        await using var stranger = PeerStranger.Start();
        var garbage = new GarbageSerializer((ExtendedActorSystem)stranger.System);
        stranger.System.Serialization.AddSerializer("garbage", garbage);
        stranger.System.Serialization.AddSerializationMap(typeof(Garbage), garbage);
        var gateway = stranger.At(cluster.Settings(0));
        const int count = 20;
        for (var i = 0; i < count; i++)
        {
            gateway.Tell(new Garbage("raftpb.Message"), stranger.Self);
            gateway.Tell(new Garbage("no.such.Message"), stranger.Self);
            gateway.Tell($"hello {i}", stranger.Self);
        }
        await stranger.BarrierAsync(cluster.Settings(0));
        var lines = await warnings.SnapshotAsync();

        Assert.Equal(0, warnings.Count("Deserialization failed"));
        Assert.True(warnings.Count("rafthttp: refused") == 1, string.Join("\n", lines));
        Assert.Equal(1, warnings.Count($"remote-address={stranger.Address}"));
        Assert.Equal(3 * count, PeerPortRefusals.Get(cluster[0].System).Refused);
        await cluster[0].Server.PutAsync(Put("k", "serves"));
    }

    private sealed record Garbage(string Manifest);

    /// <summary>Sends bytes that are no protobuf message under our protobuf serializer's id; reads like it.</summary>
    private sealed class GarbageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
    {
        private readonly ProtobufSerializer _real = new(system);

        public override int Identifier => ProtobufSerializer.Id;

        public override string Manifest(object o) => o is Garbage g ? g.Manifest : _real.Manifest(o);

        public override byte[] ToBinary(object obj) => obj is Garbage ? [0xff, 0xff, 0xff, 0xff] : _real.ToBinary(obj);

        public override object FromBinary(byte[] bytes, string manifest) => _real.FromBinary(bytes, manifest);
    }

    /// <summary>
    /// Every serializer id a member answers to, found by asking for each (Akka names a missing id in its error):
    /// what members need, or refusing without resolving the manifest (a type name in an assembly that does not
    /// exist would make Akka's lookup throw; a refusing serializer never looks). A serializer that appears with
    /// an Akka upgrade or a new package fails here until peer-port.conf classes it.
    /// </summary>
    [Fact]
    public async Task Every_serializer_a_peer_can_name_is_one_members_need_or_refuses_without_resolving_the_manifest()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var serialization = ((ExtendedActorSystem)cluster[0].System).Serialization;
        const string noSuchType = "No.Such.Type, No.Such.Assembly";
        var present = new List<int>();
        foreach (var id in Enumerable.Range(0, 1000).Append(ProtobufSerializerId))
        {
            try
            {
                serialization.Deserialize([1, 2, 3], id, noSuchType);
                present.Add(id);
            }
            catch (SerializationException e) when (e.Message.StartsWith($"Cannot find serializer with id [{id}]", StringComparison.Ordinal))
            {
            }
            catch (Exception)
            {
                present.Add(id);
            }
        }
        int[] refusing = [0, 1, 2, 3, 4, 7, 8, 17, 22, 30];
        int[] needed = [PeerContainerSerializer.Id, PeerMiscMessageSerializer.Id, ProtobufSerializerId];
        Assert.Equal(refusing.Concat(needed).Order(), present.Order());
        foreach (var id in refusing)
        {
            var refused = Assert.IsType<RefusedPeerMessage>(serialization.Deserialize([1, 2, 3], id, noSuchType));
            Assert.Equal(id, refused.SerializerId);
        }
        // Akka.Remote's misc messages: refused by manifest before Akka's serializer reads the bytes (these are not a valid message).
        foreach (var manifest in new[] { "STF", "STS", "K", "PP", "ID", "AID", "AR", "RWHB", "RWHR", "RS", "CF", "RORRC", noSuchType })
            Assert.IsType<RefusedPeerMessage>(serialization.Deserialize([0xff, 0xff, 0xff], PeerMiscMessageSerializer.Id, manifest));
        // An actor selection never carries a manifest (Akka's would have loaded the type it names).
        Assert.IsType<RefusedPeerMessage>(serialization.Deserialize([1, 2, 3], PeerContainerSerializer.Id, noSuchType));
        // A member's own messages still go out as protobuf, and local types never as anything else.
        Assert.Throws<SerializationException>(() => serialization.FindSerializerFor(new Suspend()).ToBinary(new Suspend()));
        Assert.Throws<SerializationException>(() => serialization.FindSerializerFor(new byte[1]).ToBinary(new byte[1]));
    }

    private const int ProtobufSerializerId = ProtobufSerializer.Id;

    /// <summary>Counts how often Akka's exception deserialization built one (it calls this constructor by reflection).</summary>
    private sealed class ConstructionWitness : Exception
    {
        private static int _constructed;

        public ConstructionWitness() : base("a stranger's exception")
        {
        }

        private ConstructionWitness(SerializationInfo info, StreamingContext context) : base("constructed from the network")
        {
            _ = info;
            _ = context;
            Interlocked.Increment(ref _constructed);
        }

        public static int Constructed => Volatile.Read(ref _constructed);
    }
}
