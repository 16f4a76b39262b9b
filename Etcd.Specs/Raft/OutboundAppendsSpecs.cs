using Etcd.Actors.Raft;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// A leader's batch costs one MsgApp per follower: the empty commit MsgApps its core broadcasts while the journal
/// write is in flight go only when no later MsgApp of the same send carries their news (<see cref="OutboundAppends"/>).
/// </summary>
public class OutboundAppendsSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static Message App(ulong to, ulong term, ulong index, ulong commit, int entries = 0)
    {
        var m = new Message { Type = MessageType.MsgApp, From = 1, To = to, Term = term, Index = index, LogTerm = term, Commit = commit };
        for (var i = 0; i < entries; i++) m.Entries.Add(new Entry { Term = term, Index = index + 1 + (ulong)i, Data = B("e") });
        return m;
    }

    [Fact]
    public void A_put_batch_after_a_commit_sends_each_follower_one_msgapp_that_carries_the_commit_and_the_entries()
    {
        var net = new RaftNetwork(7, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        var leader = net[1];
        Assert.Equal(RaftRole.Leader, leader.Role);

        // RaftActor's cycle: the batch's write is in flight while the followers' acks arrive and commit it.
        Assert.True(leader.Propose(B("x")));
        var first = leader.GetReady();
        var x = first.Entries.Single().Index;
        leader.Step(new Message { Type = MessageType.MsgAppResp, From = 2, To = 1, Term = leader.Term, Index = x });
        leader.Step(new Message { Type = MessageType.MsgAppResp, From = 3, To = 1, Term = leader.Term, Index = x });
        Assert.Equal(x, leader.CommitIndex);
        // The write completes; the next batch is appended in the same Ready as the commit's broadcast.
        leader.Advance(first);
        Assert.True(leader.Propose(B("y")));
        var next = leader.GetReady();

        foreach (var follower in new ulong[] { 2, 3 })
        {
            var raw = next.MessagesBeforePersist.Where(m => m.Type == MessageType.MsgApp && m.To == follower).ToList();
            Assert.Equal(2, raw.Count); // the core's empty commit MsgApp, then the one with y
            Assert.Empty(raw[0].Entries);

            var sent = OutboundAppends.Coalesce(next.MessagesBeforePersist).Where(m => m.To == follower).ToList();
            var app = Assert.Single(sent);
            Assert.Equal(MessageType.MsgApp, app.Type);
            Assert.Equal(x, app.Commit);
            Assert.Equal("y", Assert.Single(app.Entries).Data.ToStringUtf8());
        }
    }

    [Fact]
    public void A_follower_learns_the_commit_from_the_msgapp_that_is_kept()
    {
        var net = new RaftNetwork(7, false, false, 1, 2, 3);
        net.Campaign(1);
        net.Stabilize();
        var leader = net[1];
        Assert.True(leader.Propose(B("x")));
        var first = leader.GetReady();
        var x = first.Entries.Single().Index;
        // Follower 2 takes x (not yet committed) as it would from the early MsgApp.
        net[2].Step(first.MessagesBeforePersist.Single(m => m.To == 2));
        var appended = net[2].GetReady();
        net[2].Advance(appended);
        Assert.True(net[2].CommitIndex < x);
        leader.Step(new Message { Type = MessageType.MsgAppResp, From = 2, To = 1, Term = leader.Term, Index = x });
        leader.Step(new Message { Type = MessageType.MsgAppResp, From = 3, To = 1, Term = leader.Term, Index = x });
        leader.Advance(first);
        Assert.True(leader.Propose(B("y")));
        var next = leader.GetReady();

        net[2].Step(OutboundAppends.Coalesce(next.MessagesBeforePersist).Single(m => m.To == 2));
        Assert.Equal(x, net[2].CommitIndex);
        Assert.Equal(x + 1, net[2].LastIndex);
    }

    [Fact]
    public void Only_an_empty_msgapp_followed_by_one_to_the_same_peer_of_the_same_term_no_lower_commit_and_index_goes()
    {
        var hb = new Message { Type = MessageType.MsgHeartbeat, From = 1, To = 2, Term = 5, Commit = 9 };
        var cases = new (Message[] In, int[] Kept)[]
        {
            ([App(2, 5, 10, 9), hb, App(2, 5, 10, 10, 1)], [1, 2]),      // superseded: goes; the heartbeat stays
            ([App(2, 5, 10, 9), App(3, 5, 10, 10, 1)], [0, 1]),          // another peer's MsgApp says nothing to 2
            ([App(2, 5, 10, 9), App(2, 6, 10, 10, 1)], [0, 1]),          // another term
            ([App(2, 5, 10, 9), App(2, 5, 10, 8, 1)], [0, 1]),           // a lower commit
            ([App(2, 5, 10, 9), App(2, 5, 7, 9, 1)], [0, 1]),            // a lower previous index (a probe going back)
            ([App(2, 5, 10, 9, 1), App(2, 5, 11, 10, 1)], [0, 1]),       // entries always go
            ([App(2, 5, 10, 9), App(2, 5, 10, 10)], [1]),                // two empty ones: the later says all
            ([App(2, 5, 10, 8), App(2, 5, 10, 9), App(2, 5, 10, 10, 1)], [2]),
            ([App(2, 5, 10, 9)], [0]),
        };
        foreach (var (input, kept) in cases)
        {
            var sent = OutboundAppends.Coalesce(input);
            Assert.Equal(kept.Select(i => input[i]), sent);
        }
        var none = new[] { App(2, 5, 10, 9, 1), hb };
        Assert.Same(none, OutboundAppends.Coalesce(none));
    }
}
