using Etcd.Actors.Wait;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class ProposalIntakeSpecs
{
    private const ulong Self = 0x1;

    private static PendingProposal P(ulong id, ulong origin = 0, ByteString? data = null) => new(id, data ?? ByteString.Empty, origin, 0, 0);

    private static ByteString Put(ulong id, string key) =>
        new InternalRaftRequest { ID = id, Put = new PutRequest { Key = ByteString.CopyFromUtf8(key) } }.ToByteString();

    [Fact]
    public void Refusals_go_one_message_per_origin_and_this_members_own_stay_local()
    {
        var local = new List<ulong>();
        var remote = ProposalIntake.ByOrigin([P(1), P(2, 7), P(3, Self), P(4, 7), P(5, 9)], Self, EtcdErrors.LeaderChanged, local);
        Assert.Equal([1UL, 3], local);
        Assert.Equal(new ulong[] { 7, 9 }, remote.Keys.Order());
        Assert.Equal([2UL, 4], remote[7].Ids);
        Assert.All(remote.Values, r => Assert.Equal(EtcdErrors.LeaderChanged.Message, r.Error));
    }

    [Fact]
    public void A_forward_unpacks_in_order_with_its_origin_and_hops_and_our_own_return_as_local()
    {
        var f = new ForwardedProposals { From = 7, Hops = 1 };
        f.Ids.Add([10, 11, 12]);
        f.Data.Add([Put(10, "a"), Put(11, "b")]); // one id without data: only the pairs count
        var pending = ProposalIntake.Unpack(f, Self, now: 5, hops: 2);
        Assert.Equal([(10UL, 7UL, 5L, 2), (11UL, 7UL, 5L, 2)], pending.Select(p => (p.Id, p.Origin, p.SinceTick, p.Hops)));
        f.From = Self;
        Assert.All(ProposalIntake.Unpack(f, Self, 5, 2), p => Assert.Equal(0UL, p.Origin));
    }

    [Fact]
    public void The_leader_refuses_what_the_edge_would_have_refused()
    {
        // Waiter ids carry their origin's low 16 bits (Wait/WaiterIds.cs): 7's ids start with 7.
        var id = WaiterIds.Prefix(7, 12345) + 10;
        Assert.Null(ProposalIntake.Validate(P(id, 7, Put(id, "a")), 99, 1024, 128));
        Assert.Same(EtcdErrors.NotCapable, ProposalIntake.Validate(P(id + 1, 7, Put(id, "a")), 99, 1024, 128)); // not its waiter's id
        var foreign = WaiterIds.Prefix(8, 12345) + 10;
        Assert.Same(EtcdErrors.NotCapable, ProposalIntake.Validate(P(foreign, 7, Put(foreign, "a")), 99, 1024, 128)); // another member's id
        Assert.Same(EtcdErrors.NotCapable, ProposalIntake.Validate(P(id, 7, ByteString.CopyFrom(0xff, 0xff, 0xff)), 99, 1024, 128));
        Assert.Same(EtcdErrors.RequestTooLarge, ProposalIntake.Validate(P(id, 7, Put(id, new string('x', 2000))), 99, 1024, 128));
        Assert.Same(EtcdErrors.EmptyKey, ProposalIntake.Validate(P(id, 7, Put(id, "")), 99, 1024, 128));
    }

    [Fact]
    public void A_proposal_that_comes_back_to_its_own_origin_is_taken()
    {
        // 7 forwarded it to a leader that stepped down (or handed leadership to 7) and passed it back: unpacked
        // on 7 it has origin 0, and its id still carries 7's bits.
        var id = WaiterIds.Prefix(7, 12345) + 10;
        var back = new ForwardedProposals { From = 7 };
        back.Ids.Add(id);
        back.Data.Add(Put(id, "a"));
        var p = Assert.Single(ProposalIntake.Unpack(back, 7, 0, 1));
        Assert.Equal(0UL, p.Origin);
        Assert.Null(ProposalIntake.Validate(p, 7, 1024, 128));
        Assert.Same(EtcdErrors.NotCapable, ProposalIntake.Validate(p, 8, 1024, 128));
    }
}
