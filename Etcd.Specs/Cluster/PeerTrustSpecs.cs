using System.Reflection;
using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Only our own cluster may talk to a member (docs/design.md, "Transport"). A stranger on the peer port
/// (<see cref="PeerStranger"/>) sends what it likes, to the gateway and straight to /user/etcd/raft: bare Raft
/// messages, envelopes for another cluster or another member, removal notices and membership changes, C# records
/// as JSON, PoisonPill. Nothing changes: same leader, same term, same members, and the cluster keeps serving.
/// </summary>
public sealed class PeerTrustSpecs
{
    private const ulong StrangerId = 0x5157_0000_0000_0001;
    private const string RaftPath = "/user/etcd/raft";


    private static async Task BarrierAsync(PeerStranger stranger, TestCluster c)
    {
        foreach (var i in c.Up) await stranger.BarrierAsync(c.Settings(i));
    }

    /// <summary>Three members, one write through the leader; the two followers and every member's view after it.</summary>
    private static async Task<(TestCluster Cluster, int Leader, int F1, int F2, (ulong Leader, ulong Term)[] Before)> StartWithOneWriteAsync()
    {
        var cluster = await TestCluster.StartAsync(3);
        try
        {
            var leader = await cluster.LeaderAsync();
            await cluster[leader].Server.PutAsync(Put("k", "before"));
            return (cluster, leader, (leader + 1) % 3, (leader + 2) % 3, await cluster.ViewsAsync());
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task Forged_raft_messages_from_a_stranger_change_neither_leader_nor_term()
    {
        var (cluster, leader, f1, f2, before) = await StartWithOneWriteAsync();
        await using var _ = cluster;
        ulong lid = cluster[leader].Server.MemberId, f1id = cluster[f1].Server.MemberId, f2id = cluster[f2].Server.MemberId;
        var term = before[0].Term;
        var cid = cluster[0].Server.ClusterId;

        await using var stranger = PeerStranger.Start();
        var timeoutNow = new Message { Type = MessageType.MsgTimeoutNow, To = f1id, From = lid, Term = term };
        foreach (var path in new[] { PeerDirectory.RaftPath, RaftPath })
        {
            // Bare: a follower told to campaign at once; a higher term from nobody, to a follower and to the leader.
            stranger.At(cluster.Settings(f1), path).Tell(timeoutNow);
            stranger.At(cluster.Settings(f2), path).Tell(new Message { Type = MessageType.MsgHeartbeat, To = f2id, From = StrangerId, Term = term + 5 });
            stranger.At(cluster.Settings(leader), path).Tell(new Message { Type = MessageType.MsgHeartbeat, To = lid, From = StrangerId, Term = term + 7 });
            // Enveloped for another cluster, for another member, and with a body that names another sender.
            stranger.At(cluster.Settings(f1), path).Tell(new PeerEnvelope { ClusterId = cid ^ 1, To = f1id, From = lid, Raft = timeoutNow });
            stranger.At(cluster.Settings(f1), path).Tell(new PeerEnvelope { ClusterId = cid, To = StrangerId, From = lid, Raft = timeoutNow });
            stranger.At(cluster.Settings(f1), path).Tell(new PeerEnvelope { ClusterId = cid, To = f1id, From = StrangerId, Raft = timeoutNow });
        }
        await BarrierAsync(stranger, cluster);

        Assert.Equal(before, await cluster.ViewsAsync());
        await cluster[f1].Server.PutAsync(Put("k", "after"));
        Assert.Equal("after", Assert.Single((await cluster[f2].Server.RangeAsync(Get("k"))).Kvs).Value.ToStringUtf8());
        Assert.Equal(before, await cluster.ViewsAsync());
    }

    /// <summary>
    /// A stranger names the member it writes to as the sender: a MsgTimeoutNow (campaign now), a MsgHup (the
    /// election timer), MsgCheckQuorum (the leader's quorum timer: twice in a row, it steps down) and a raw
    /// MsgProp, which the leader's core takes as its own proposal, validated by nobody. None of it is stepped:
    /// same leader, same term, nothing appended, and one warning per sender from the gateway.
    /// </summary>
    [Fact]
    public async Task Raft_messages_forged_as_the_members_own_or_only_its_own_core_steps_change_nothing()
    {
        var (cluster, leader, f1, f2, before) = await StartWithOneWriteAsync();
        await using var _ = cluster;
        ulong lid = cluster[leader].Server.MemberId, f1id = cluster[f1].Server.MemberId, f2id = cluster[f2].Server.MemberId;
        var term = before[0].Term;
        var cid = cluster[0].Server.ClusterId;
        var warnings = new WarningLog(cluster[leader].System);

        PeerEnvelope Own(ulong id, MessageType type, ulong t) => new() { ClusterId = cid, To = id, From = id, Raft = new Message { Type = type, To = id, From = id, Term = t } };
        var forged = new InternalRaftRequest { ID = 0x5157, Put = Put("forged", "unvalidated") }.ToByteString();

        await using var stranger = PeerStranger.Start();
        foreach (var path in new[] { PeerDirectory.RaftPath, RaftPath })
        {
            stranger.At(cluster.Settings(f1), path).Tell(Own(f1id, MessageType.MsgTimeoutNow, term), stranger.Self);
            stranger.At(cluster.Settings(f2), path).Tell(Own(f2id, MessageType.MsgHup, 0), stranger.Self);
            foreach (var t in new[] { 0UL, term })
            {
                var prop = Own(lid, MessageType.MsgProp, t);
                prop.Raft.Entries.Add(new Entry { Type = EntryType.EntryNormal, Data = forged });
                stranger.At(cluster.Settings(leader), path).Tell(prop, stranger.Self);
            }
            for (var i = 0; i < 3; i++) stranger.At(cluster.Settings(leader), path).Tell(Own(lid, MessageType.MsgCheckQuorum, 0), stranger.Self);
            // Local-only types from another member's id are refused too (that member's core never sends them).
            stranger.At(cluster.Settings(leader), path).Tell(new PeerEnvelope
            {
                ClusterId = cid, To = lid, From = f1id, Raft = new Message { Type = MessageType.MsgCheckQuorum, To = lid, From = f1id, Term = term },
            }, stranger.Self);
        }
        await BarrierAsync(stranger, cluster);

        Assert.Equal(before, await cluster.ViewsAsync());
        // Anything the leader appended before this put is applied before it.
        await cluster[leader].Server.PutAsync(Put("k", "after"));
        foreach (var i in cluster.Up)
            Assert.Empty((await cluster[i].Server.RangeAsync(Get("forged"))).Kvs);
        Assert.Equal(before, await cluster.ViewsAsync());
        await warnings.SnapshotAsync();
        Assert.Equal(1, warnings.Count($"rafthttp: ignored a forged peer message; it claims to come from this member (local-member-id={lid:x16}, remote-peer-id={lid:x16}, remote-address={stranger.Address}"));
        Assert.Equal(1, warnings.Count($"rafthttp: ignored a forged peer message; its Raft message is one only this member's own Raft steps (local-member-id={lid:x16}, remote-peer-id={f1id:x16}, remote-address={stranger.Address}, message=MsgCheckQuorum)"));
    }

    [Fact]
    public async Task Messages_for_another_cluster_or_member_or_outside_the_protocol_are_dropped_with_one_warning_per_sender()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var victim = (leader + 1) % 3;
        var vid = cluster[victim].Server.MemberId;
        var cid = cluster[0].Server.ClusterId;
        var before = await cluster.ViewsAsync();
        var warnings = new WarningLog(cluster[victim].System);

        await using var stranger = PeerStranger.Start();
        var gateway = stranger.At(cluster.Settings(victim));
        var heartbeat = new Message { Type = MessageType.MsgHeartbeat, To = vid, From = StrangerId, Term = before[0].Term + 3 };
        for (var i = 0; i < 20; i++)
        {
            gateway.Tell(new PeerEnvelope { ClusterId = cid ^ 0xff, To = vid, From = StrangerId, Raft = heartbeat }, stranger.Self);
            gateway.Tell(new PeerEnvelope { ClusterId = cid, To = vid + 1, From = StrangerId + 1, Raft = heartbeat }, stranger.Self);
            gateway.Tell(heartbeat, stranger.Self);
        }
        await BarrierAsync(stranger, cluster);
        await warnings.SnapshotAsync();

        Assert.Equal(1, warnings.Count("request cluster ID mismatch"));
        Assert.Equal(1, warnings.Count($"remote-peer-id={StrangerId:x16}, remote-peer-cluster-id={cid ^ 0xff:x16}, remote-address={stranger.Address}"));
        Assert.Equal(1, warnings.Count("ignored request; ID mismatch"));
        Assert.Equal(1, warnings.Count($"remote-peer-id={StrangerId + 1:x16}, raft-to={vid + 1:x16}, remote-address={stranger.Address}"));
        Assert.Equal(1, warnings.Count("ignored a Message, which is not part of the peer protocol"));
        Assert.Equal(before, await cluster.ViewsAsync());
    }

    /// <summary>A follower whose edge did not validate (an older build, a bug) forwards what the leader must refuse.</summary>
    [Fact]
    public async Task A_forwarded_proposal_that_skipped_validation_is_refused_by_the_leader_with_etcds_error()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var follower = (leader + 1) % 3;
        var before = await cluster.ViewsAsync();
        var unchecked_ = typeof(EtcdServer).GetMethod("ProposeAsync", genericParameterCount: 0, BindingFlags.NonPublic | BindingFlags.Instance,
            null, [typeof(InternalRaftRequest), typeof(CancellationToken)], null);
        Assert.NotNull(unchecked_);
        Task<IMessage> ProposeUnchecked(InternalRaftRequest r) => (Task<IMessage>)unchecked_!.Invoke(cluster[follower].Server, [r, CancellationToken.None])!;

        var tooManyOps = new TxnRequest();
        for (var i = 0; i < 200; i++) tooManyOps.Success.Add(new RequestOp { RequestPut = Put($"t/{i}", "x") });
        var cases = new (InternalRaftRequest Request, EtcdError Error)[]
        {
            (new InternalRaftRequest { Put = Put("", "empty key") }, EtcdErrors.EmptyKey),
            (new InternalRaftRequest { Put = new PutRequest { Key = ByteString.CopyFromUtf8("p"), Value = ByteString.CopyFromUtf8("x"), IgnoreValue = true } }, EtcdErrors.ValueProvided),
            (new InternalRaftRequest { Txn = tooManyOps }, EtcdErrors.TooManyOps),
            // The edge replaces id 0 by a generated one; a grant that skipped it gets what etcd's lessor answers for 0.
            (new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { TTL = 10 } }, EtcdErrors.LeaseNotFound),
            (new InternalRaftRequest(), EtcdErrors.NotCapable),
        };
        foreach (var (request, error) in cases)
        {
            var e = await Assert.ThrowsAsync<EtcdException>(() => ProposeUnchecked(request));
            Assert.Equal(error, e.Error);
        }

        // Nothing entered the log: the stores have none of it and the cluster serves as before.
        await cluster[follower].Server.PutAsync(Put("ok", "1"));
        foreach (var i in cluster.Up)
        {
            var all = await cluster[i].Server.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), CountOnly = true });
            Assert.Equal(1, all.Count);
        }
        Assert.Equal(before, await cluster.ViewsAsync());
    }

    [Fact]
    public async Task Removal_notices_and_membership_changes_from_a_non_member_are_ignored()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var victim = (leader + 1) % 3;
        ulong lid = cluster[leader].Server.MemberId, vid = cluster[victim].Server.MemberId;
        var cid = cluster[0].Server.ClusterId;
        var before = await cluster.ViewsAsync();

        await using var stranger = PeerStranger.Start();
        var remove = new MembershipChange { From = StrangerId, Waiter = 1, Remove = new MemberRemoveRequest { ID = vid } };
        foreach (var path in new[] { PeerDirectory.RaftPath, RaftPath })
        {
            stranger.At(cluster.Settings(victim), path).Tell(new MemberRemovedNotice { Id = vid });
            stranger.At(cluster.Settings(victim), path).Tell(new PeerEnvelope { ClusterId = cid, To = vid, From = StrangerId, Removed = new MemberRemovedNotice { Id = vid } });
            stranger.At(cluster.Settings(leader), path).Tell(remove);
            stranger.At(cluster.Settings(leader), path).Tell(new PeerEnvelope { ClusterId = cid, To = lid, From = StrangerId, Membership = remove });
        }
        await BarrierAsync(stranger, cluster);

        // A change the leader proposed before this put would be applied before it: the table is the truth.
        await cluster[leader].Server.PutAsync(Put("after", "1"));
        Assert.Equal(3, (await cluster[leader].Server.MemberListAsync()).Members.Count);
        // A removed member stops after RemovedStopTicks (10 ticks, 1 s): give it three times that to show it is not.
        await Task.WhenAny(cluster[victim].Removed, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.False(cluster[victim].Removed.IsCompleted, "the member took a stranger's word that it was removed");
        await cluster[victim].Server.PutAsync(Put("victim", "serves"));
        Assert.Equal(before, await cluster.ViewsAsync());
    }

    [Fact]
    public async Task Local_commands_sent_as_json_and_poison_pills_from_the_network_are_dropped()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var victim = (leader + 1) % 3;
        var vid = cluster[victim].Server.MemberId;
        var before = await cluster.ViewsAsync();
        var warnings = new WarningLog(cluster[victim].System);

        await using var stranger = PeerStranger.Start();
        // Records RaftActor takes from its own store, serialized by the stranger's Akka as JSON.
        stranger.At(cluster.Settings(victim), RaftPath).Tell(new MvccProtocol.MembersChanged([], [vid]));
        stranger.At(cluster.Settings(victim)).Tell(new MvccProtocol.MembersChanged([], [vid]));
        stranger.At(cluster.Settings(victim), "/user/etcd/mvcc").Tell(Kill.Instance);
        stranger.At(cluster.Settings(victim), RaftPath).Tell(PoisonPill.Instance);
        stranger.At(cluster.Settings(victim), "/user/etcd").Tell(PoisonPill.Instance);
        await BarrierAsync(stranger, cluster);

        await cluster[victim].Server.PutAsync(Put("victim", "serves"));
        // The store applied that put after the Kill (if one had been taken, it would have restarted first and said so).
        await warnings.SnapshotAsync();
        Assert.Equal(0, warnings.Count("mvcc store restarted"));
        await Task.WhenAny(cluster[victim].Removed, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.False(cluster[victim].Removed.IsCompleted, "the member took a stranger's word that it was removed");
        Assert.Equal("serves", Assert.Single((await cluster[victim].Server.RangeAsync(Get("victim"))).Kvs).Value.ToStringUtf8());
        Assert.Equal(before, await cluster.ViewsAsync());
    }
}
