using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// Refusals and forwarded waiter ids between members (docs/design.md, "Trust model of the peer port", layer 4), seen
/// from member A of three whose peers B and C are forged (<see cref="ForgedPeers"/>). A waiter id names whose client an
/// applied entry answers (<see cref="WaiterIds"/>), and a refusal fails waiters by id: so only the member a proposal was forwarded to may refuse it, and a member may
/// forward only proposals with its own ids.
/// </summary>
public sealed class RaftActorPeerRefusalSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = ForgedPeers.Wait;
    private readonly ForgedPeers _peers;

    public RaftActorPeerRefusalSpecs() : base(RaftActorSpecs.TestJournalConfig, "raft-actor-peer-refusal-specs")
    {
        _peers = new ForgedPeers(this);
    }

    private ITestJournal Journal => _peers.Journal;

    /// <summary>Tells the probe about every EntriesAppended the journal is asked to write.</summary>
    private sealed class ReportWrites(IActorRef to) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message)
        {
            if (message.Payload is EntriesAppended ea) to.Tell(ea);
            return Task.CompletedTask;
        }
    }

    /// <summary>A waiter id member <paramref name="member"/> could hand out.</summary>
    private static ulong IdOf(ulong member, ulong n) => WaiterIds.Prefix(member, 1_700_000_000_000) + n;

    private static void From(ForgedPeers.Scene s, ulong sender, PeerEnvelope e) => ForgedPeers.From(s, sender, e);

    private static void Barrier(ForgedPeers.Scene s) => ForgedPeers.Status(s);

    private static PeerEnvelope SentTo(ForgedPeers.Scene s, ulong peer, Func<PeerEnvelope, bool> what) => ForgedPeers.SentTo(s, peer, what);

    [Fact]
    public async Task A_refusal_fails_only_waiters_forwarded_to_the_member_that_refuses()
    {
        var s = await _peers.StartAsync();
        _peers.Follow(s, s.B, s.Term + 1);
        var forwarded = IdOf(s.A, 1);
        var notForwarded = IdOf(s.A, 2);
        var forwardedWaiter = s.Waits.Register(forwarded)!;
        var otherWaiter = s.Waits.Register(notForwarded)!;
        s.Raft.Tell(new RaftProtocol.Propose(forwarded, ByteString.CopyFromUtf8("x")));
        SentTo(s, s.B, e => e.Forwarded is { } f && f.Ids.Contains(forwarded));

        // C is a current member, but nothing was forwarded to it; B was sent one of the two.
        var refusal = new ProposalsRefused { Ids = { forwarded, notForwarded }, Error = EtcdErrors.TooManyRequests.Message };
        From(s, s.C, new PeerEnvelope { Refused = refusal });
        Barrier(s);
        Assert.False(forwardedWaiter.Task.IsCompleted, "C failed a waiter that was forwarded to B");
        Assert.False(otherWaiter.Task.IsCompleted, "C failed a waiter that was never forwarded");

        From(s, s.B, new PeerEnvelope { Refused = refusal });
        var e = await Assert.ThrowsAsync<EtcdException>(() => forwardedWaiter.Task.WaitAsync(Wait));
        Assert.Equal(EtcdErrors.TooManyRequests, e.Error);
        Barrier(s);
        Assert.False(otherWaiter.Task.IsCompleted, "B failed a waiter that was never forwarded to it");
    }

    [Fact]
    public async Task The_leader_refuses_a_forwarded_proposal_or_membership_change_whose_waiter_id_is_not_its_origins()
    {
        var s = await _peers.StartAsync();
        var written = CreateTestProbe();
        await Journal.OnWrite.SetInterceptorAsync(new ReportWrites(written.Ref));
        _peers.Lead(s);

        // B forwards a proposal with C's waiter id (its applied entry would answer C's client) and one with its own.
        ulong foreign = IdOf(s.C, 1), own = IdOf(s.B, 1);
        ByteString Put(ulong id, string key) => new InternalRaftRequest { ID = id, Put = new PutRequest { Key = ByteString.CopyFromUtf8(key) } }.ToByteString();
        From(s, s.B, new PeerEnvelope { Forwarded = new ForwardedProposals { From = s.B, Ids = { foreign, own }, Data = { Put(foreign, "foreign"), Put(own, "own") } } });

        var refused = SentTo(s, s.B, e => e.Refused is { } r && r.Ids.Contains(foreign));
        Assert.Equal([foreign], refused.Refused.Ids);
        Assert.Equal(EtcdErrors.NotCapable.Message, refused.Refused.Error);
        // The proposal with B's own id enters the log; the other never did (it came first, so it would be in this write or an earlier one).
        var appended = new List<Entry>();
        while (!appended.Any(x => x.Data == Put(own, "own")))
            appended.AddRange(written.ExpectMsg<EntriesAppended>(Wait).Entries);
        Assert.DoesNotContain(appended, x => x.Data == Put(foreign, "foreign"));

        var change = new MembershipChange { From = s.B, Waiter = IdOf(s.C, 2), Remove = new MemberRemoveRequest { ID = s.C } };
        From(s, s.B, new PeerEnvelope { Membership = change });
        var refusedChange = SentTo(s, s.B, e => e.Refused is { } r && r.Ids.Contains(change.Waiter));
        Assert.Equal(EtcdErrors.NotCapable.Message, refusedChange.Refused.Error);
    }
}
