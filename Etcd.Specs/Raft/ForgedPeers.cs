using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Specs.Raft;

/// <summary>
/// Member A of three whose peers B and C are forged: their addresses resolve to dead letters, where a spec reads what A
/// sends them, and the spec speaks for them by telling A envelopes. No tick ever fires, so A changes role only when
/// its forged peers say so. A journals into Akka.Persistence.TestKit's journal (RaftActorSpecs.TestJournalConfig).
/// </summary>
internal sealed class ForgedPeers(TestKitBase kit)
{
    public const ulong Cluster = 0xc1a6;
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static ulong _nextBase = 0x9000;

    public sealed record Scene(IActorRef Raft, TestProbe Mvcc, TestProbe Sent, WaitRegistry Waits, ulong A, ulong B, ulong C, ulong Term);

    public ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(kit.Sys).JournalFor("akka.persistence.journal.test"));

    private static RaftSettings Settings => RaftSettings.Default with { TickInterval = TimeSpan.FromHours(1) };

    public static void From(Scene s, ulong sender, PeerEnvelope e)
    {
        e.ClusterId = Cluster;
        e.To = s.A;
        e.From = sender;
        s.Raft.Tell(e);
    }

    /// <summary>A's status; once answered, the actor has handled everything sent to it before (mailbox order).</summary>
    public static StatusReport Status(Scene s)
    {
        s.Raft.Tell(new RaftProtocol.GetStatus(new TaskCompletionSource<StatusReport>()));
        return s.Mvcc.FishForMessage<MvccProtocol.FillStatus>(_ => true, Wait).Partial;
    }

    /// <summary>What A sent its peers (to dead letters here) that matches <paramref name="what"/>.</summary>
    public static PeerEnvelope SentTo(Scene s, ulong peer, Func<PeerEnvelope, bool> what) =>
        (PeerEnvelope)s.Sent.FishForMessage<DeadLetter>(d => d.Message is PeerEnvelope e && e.To == peer && what(e), Wait).Message;

    public async Task<Scene> StartAsync()
    {
        await Journal.OnWrite.Pass();
        var first = Interlocked.Add(ref _nextBase, 0x10);
        ulong a = first + 1, b = first + 2, c = first + 3;
        var mvcc = kit.CreateTestProbe();
        mvcc.IgnoreMessages(m => m is MvccProtocol.GetMembers);
        var sent = kit.CreateTestProbe();
        kit.Sys.EventStream.Subscribe(sent.Ref, typeof(DeadLetter));
        var waits = new WaitRegistry(1000);
        var member = RaftMember.NewCluster(a, [a, b, c]) with
        {
            ClusterId = Cluster,
            PeerUrls = new Dictionary<ulong, IReadOnlyList<string>> { [b] = ["http://127.0.0.1:1"], [c] = ["http://127.0.0.1:2"] },
        };
        var raft = kit.Sys.ActorOf(RaftActor.Props(Settings, member, mvcc.Ref, waits));
        // The three bootstrap conf changes are applied (until then A would not campaign).
        ulong applied = 0;
        while (applied < 3) applied = mvcc.FishForMessage<MvccProtocol.ApplyCommitted>(_ => true, Wait).Entries[^1].Index;
        var term = Status(new Scene(raft, mvcc, sent, waits, a, b, c, 0)).RaftTerm;
        return new Scene(raft, mvcc, sent, waits, a, b, c, term);
    }

    public void Follow(Scene s, ulong leader, ulong term)
    {
        var leaders = kit.CreateTestProbe();
        kit.Sys.EventStream.Subscribe(leaders.Ref, typeof(RaftProtocol.LeaderChanged));
        From(s, leader, new PeerEnvelope { Raft = new Message { Type = MessageType.MsgHeartbeat, Term = term, From = leader, To = s.A } });
        leaders.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == s.A && l.Leader == leader, Wait);
    }

    /// <summary>B asks A to campaign (MsgTimeoutNow) and B and C vote for it.</summary>
    public static void Elect(Scene s)
    {
        From(s, s.B, new PeerEnvelope { Raft = new Message { Type = MessageType.MsgTimeoutNow, Term = s.Term, From = s.B, To = s.A } });
        Status(s);
        foreach (var voter in new[] { s.B, s.C })
            From(s, voter, new PeerEnvelope { Raft = new Message { Type = MessageType.MsgVoteResp, Term = s.Term + 1, From = voter, To = s.A } });
    }

    public void Lead(Scene s)
    {
        var leaders = kit.CreateTestProbe();
        kit.Sys.EventStream.Subscribe(leaders.Ref, typeof(RaftProtocol.LeaderChanged));
        Elect(s);
        leaders.FishForMessage<RaftProtocol.LeaderChanged>(l => l.MemberId == s.A && l.Leader == s.A, Wait);
    }
}
