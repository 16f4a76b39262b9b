using Etcd.Actors.Raft;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// ReadIndex requests are the leader's by sender and context, and confirmed by heartbeat rounds of the leader's
/// own numbering: no read is dropped because another member used the same context, and none is confirmed by an
/// acknowledgement of a heartbeat that left before it arrived. Contexts themselves are unique per member and
/// incarnation (<see cref="ReadIndexContexts"/>).
/// </summary>
public class RaftReadIndexSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RaftNetwork ThreeWithALeader()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        net[1].Propose(B("x"));
        net.Stabilize();
        Assert.Equal(RaftRole.Leader, net[1].Role);
        return net;
    }

    /// <summary>Hands out Readies and delivers what is in flight (except what <paramref name="keep"/> holds back) until quiet.</summary>
    private static List<Message> Run(RaftNetwork net, Func<Message, bool> keep)
    {
        var held = new List<Message>();
        for (var round = 0; round < 100; round++)
        {
            var any = net.ProcessReadies();
            if (net.InFlight.Count == 0 && !any) return held;
            var batch = net.InFlight.ToList();
            net.InFlight.Clear();
            foreach (var m in batch)
            {
                if (keep(m)) held.Add(m);
                else net.Step(m);
            }
        }
        throw new InvalidOperationException("network did not settle");
    }

    [Fact]
    public void Two_followers_with_the_same_context_both_get_their_read()
    {
        var net = ThreeWithALeader();
        Assert.True(net.ReadIndex(2, B("r")));
        Assert.True(net.ReadIndex(3, B("r")));
        Assert.True(net.ReadIndex(1, B("r")));
        net.Stabilize();
        foreach (var id in new ulong[] { 1, 2, 3 })
        {
            var rs = Assert.Single(net.ReadStates[id]);
            Assert.Equal("r", rs.Context.ToStringUtf8());
            Assert.Equal(net[1].CommitIndex, rs.Index);
        }
    }

    [Fact]
    public void A_late_ack_of_an_earlier_round_does_not_confirm_a_later_read_with_the_same_context()
    {
        var net = ThreeWithALeader();
        // Member 2 reads; its own answer to the heartbeat round is held back, 3's confirms the read.
        Assert.True(net.ReadIndex(2, B("r")));
        var late = Run(net, m => m is { Type: MessageType.MsgHeartbeatResp, From: 2 });
        var lateAck = Assert.Single(late);
        Assert.Single(net.ReadStates[2]);

        // Member 3 then reads with the same context; the leader's heartbeats for it are lost.
        Assert.True(net.ReadIndex(3, B("r")));
        Run(net, m => m.Type == MessageType.MsgHeartbeat);
        Assert.Empty(net.ReadStates[3]);

        // 2's answer to the heartbeat that left before 3 asked proves nothing about leadership since then.
        net.Step(lateAck);
        net.Stabilize();
        Assert.Empty(net.ReadStates[3]);

        // The next heartbeat round, sent after 3 asked, confirms it.
        net.Tick(1);
        net.Stabilize();
        Assert.Equal(net[1].CommitIndex, Assert.Single(net.ReadStates[3]).Index);
    }

    /// <summary>
    /// A new leader holds ReadIndex requests until it commits an entry of its own term. A repeat of a held
    /// (sender, context) is a retry and joins it: a single voter, which answers straight from its commit index,
    /// used to answer every repeat once it could.
    /// </summary>
    [Fact]
    public void A_new_leader_holds_a_repeated_read_once_and_answers_it_once()
    {
        var n = RaftNode.Create(new RaftConfig { Id = 1, Voters = [1], Random = new SeededRandomSource(1) });
        n.Advance(n.GetReady()); // its vote is durable: it leads, its empty entry not yet committed
        Assert.Equal(RaftRole.Leader, n.Role);
        for (var i = 0; i < 10; i++) Assert.True(n.ReadIndex(B("r")));

        var answers = new List<ReadState>();
        for (var i = 0; i < 10 && n.HasReady(); i++)
        {
            var rd = n.GetReady();
            answers.AddRange(rd.ReadStates);
            n.Advance(rd);
        }
        var answer = Assert.Single(answers);
        Assert.Equal(("r", n.CommitIndex), (answer.Context.ToStringUtf8(), answer.Index));
    }

    /// <summary>
    /// A sender's held requests are bounded (<see cref="ReadOnlyQueue.MaxPerSender"/>): a host has one round open at
    /// a time, so a newer context means it gave up on the older one, which is dropped unanswered. A leader that
    /// cannot commit for long (its followers' disks stalled) used to hold, and later answer, every one.
    /// </summary>
    [Fact]
    public void A_new_leader_holds_at_most_a_few_reads_per_sender_and_drops_the_oldest()
    {
        var net = new RaftNetwork(1, false, false, 1, 2, 3);
        // The followers' acknowledgements are lost: leader 1 cannot commit its term's first entry.
        net.Drop = m => m.Type == MessageType.MsgAppResp && m.From != 1;
        net.Campaign(1);
        net.Stabilize();
        Assert.Equal((RaftRole.Leader, 1UL), (net[1].Role, net[2].Lead));

        for (var i = 0; i < 10; i++) Assert.True(net.ReadIndex(2, B($"r{i}")));
        net.Stabilize();
        Assert.Empty(net.ReadStates[2]);

        net.Drop = _ => false;
        net.Tick(1); // a heartbeat: the followers answer, the leader appends again, they ack, it commits
        net.Stabilize();
        Assert.Equal(
            Enumerable.Range(10 - ReadOnlyQueue.MaxPerSender, ReadOnlyQueue.MaxPerSender).Select(i => $"r{i}"),
            net.ReadStates[2].Select(rs => rs.Context.ToStringUtf8()));
    }

    [Fact]
    public void The_leaders_read_queue_keeps_at_most_a_few_requests_per_sender_and_forgets_the_dropped_rounds()
    {
        var q = new ReadOnlyQueue();
        var rounds = new List<ByteString>();
        for (var i = 0; i < 10; i++) rounds.Add(ReadOnlyQueue.RoundContext(q.Add(5, 2, B($"r{i}"))!.Round));
        Assert.Equal(ReadOnlyQueue.MaxPerSender, q.Count);
        // Another sender has room of its own.
        Assert.NotNull(q.Add(5, 3, B("r0")));
        Assert.Equal(ReadOnlyQueue.MaxPerSender + 1, q.Count);

        // A dropped request's round is unknown: an ack of it confirms nothing.
        Assert.Equal(0, q.RecvAck(3, rounds[0]));
        Assert.Empty(q.Advance(rounds[0]));
        var released = q.Advance(rounds[^1]);
        Assert.Equal(Enumerable.Range(10 - ReadOnlyQueue.MaxPerSender, ReadOnlyQueue.MaxPerSender).Select(i => $"r{i}"),
            released.Select(r => r.Context.ToStringUtf8()));
    }

    [Fact]
    public void Read_contexts_differ_across_members_and_incarnations()
    {
        var seen = new HashSet<ByteString>();
        foreach (var member in new ulong[] { 1, 2 })
            for (var incarnation = 0; incarnation < 3; incarnation++)
            {
                var contexts = ReadIndexContexts.NewIncarnation(member);
                for (var i = 0; i < 100; i++)
                {
                    var ctx = contexts.Next();
                    Assert.True(seen.Add(ctx), $"context reused by member {member}, incarnation {incarnation}");
                    Assert.Equal(member, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(ctx.Span));
                }
            }
    }
}
