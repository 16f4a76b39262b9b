using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class ReadRoundsSpecs
{
    private const int MaxPending = 3;
    private const int RoundTimeout = 20;
    private const int Retry = 5;
    private const int NoLeaderTimeout = 30;

    /// <summary>The Raft node as ReadRounds sees it: whether a leader is there, and every context it was asked.</summary>
    private sealed class Leader
    {
        public bool Known { get; set; } = true;
        public List<ByteString> Asked { get; } = [];

        public bool Ask(ByteString context)
        {
            Asked.Add(context);
            return Known;
        }
    }

    private static (ReadRounds Rounds, Leader Leader) Make(bool leaderKnown = true)
    {
        var leader = new Leader { Known = leaderKnown };
        return (new ReadRounds(0x1234, MaxPending, RoundTimeout, Retry, NoLeaderTimeout, leader.Ask), leader);
    }

    private static MvccProtocol.ReadCommand Read() => new(new RangeRequest(), new TaskCompletionSource<IMessage>());

    private static void AssertFailed(MvccProtocol.ReadCommand read, EtcdError error)
    {
        Assert.True(read.Completion.Task.IsFaulted);
        var e = Assert.IsType<EtcdException>(read.Completion.Task.Exception!.InnerException);
        Assert.Same(error, e.Error);
        Assert.Equal(error.Message, e.Message);
    }

    [Fact]
    public void Reads_arriving_while_a_round_is_open_share_the_next_round()
    {
        var (rounds, leader) = Make();
        var first = Read();
        Assert.True(rounds.Add(first, 0));
        var firstContext = Assert.Single(leader.Asked);
        var second = Read();
        var third = Read();
        Assert.False(rounds.Add(second, 1));
        Assert.False(rounds.Add(third, 1));
        Assert.Single(leader.Asked);
        Assert.Equal(2, rounds.PendingCount);

        Assert.Null(rounds.Answered(ByteString.CopyFromUtf8("someone else's")));
        Assert.Equal([first], rounds.Answered(firstContext)!);
        Assert.Null(rounds.Answered(firstContext)); // a duplicate answer
        Assert.True(rounds.TryStart());
        Assert.Equal(2, leader.Asked.Count);
        Assert.NotEqual(firstContext, leader.Asked[1]);
        Assert.Equal([second, third], rounds.Answered(leader.Asked[1])!);
        Assert.False(rounds.TryStart());
        Assert.Null(rounds.OpenContext);
    }

    [Fact]
    public void Beyond_the_bound_of_waiting_reads_a_read_fails_with_too_many_requests()
    {
        var (rounds, _) = Make(leaderKnown: false);
        var waiting = Enumerable.Range(0, MaxPending).Select(_ => Read()).ToArray();
        foreach (var r in waiting) Assert.False(rounds.Add(r, 0));
        var refused = Read();
        Assert.False(rounds.Add(refused, 0));
        AssertFailed(refused, EtcdErrors.TooManyRequests);
        Assert.Equal(MaxPending, rounds.PendingCount);
        Assert.All(waiting, r => Assert.False(r.Completion.Task.IsCompleted));
    }

    [Fact]
    public void Reads_without_a_leader_wait_until_the_no_leader_timeout_then_fail_with_no_leader()
    {
        var (rounds, leader) = Make(leaderKnown: false);
        var read = Read();
        rounds.Add(read, 10);
        for (long t = 11; t < 10 + NoLeaderTimeout; t++) Assert.False(rounds.Tick(t));
        Assert.False(read.Completion.Task.IsCompleted);
        Assert.Equal(NoLeaderTimeout, leader.Asked.Count); // once on arrival, then every tick
        Assert.False(rounds.Tick(10 + NoLeaderTimeout));
        AssertFailed(read, EtcdErrors.NoLeader);
        Assert.Equal(0, rounds.PendingCount);
    }

    [Fact]
    public void A_waiting_round_starts_on_the_first_tick_a_leader_answers()
    {
        var (rounds, leader) = Make(leaderKnown: false);
        var read = Read();
        rounds.Add(read, 0);
        leader.Known = true;
        Assert.True(rounds.Tick(1));
        Assert.Equal(leader.Asked[^1], rounds.OpenContext);
        Assert.Equal([read], rounds.Answered(leader.Asked[^1])!);
    }

    [Fact]
    public void An_unanswered_round_is_asked_again_with_the_same_context_every_retry_and_times_out()
    {
        var (rounds, leader) = Make();
        var read = Read();
        var waiting = Read();
        rounds.Add(read, 0);
        rounds.Add(waiting, 0);
        var context = leader.Asked[0];
        var retries = new List<long>();
        for (long t = 1; t < RoundTimeout; t++)
            if (rounds.Tick(t)) retries.Add(t);
        Assert.Equal([5L, 10, 15], retries);
        Assert.All(leader.Asked, c => Assert.Equal(context, c));
        Assert.False(read.Completion.Task.IsCompleted);

        // The timeout fails the round and starts the next one with the reads that waited.
        Assert.True(rounds.Tick(RoundTimeout));
        AssertFailed(read, EtcdErrors.Timeout);
        Assert.NotEqual(context, rounds.OpenContext);
        Assert.Equal([waiting], rounds.Answered(rounds.OpenContext!)!);
    }

    [Fact]
    public void A_new_leader_is_asked_again_and_restarts_the_age_until_too_many_changes_fail_the_round()
    {
        var (rounds, leader) = Make();
        var read = Read();
        rounds.Add(read, 0);
        var context = leader.Asked[0];
        for (var change = 1; change <= ReadRounds.MaxRoundLeaderChanges; change++)
        {
            for (long t = 1; t < Retry; t++) rounds.Tick(t);
            Assert.True(rounds.LeaderKnown());
            Assert.Equal(context, leader.Asked[^1]);
        }
        // The age restarted: a whole timeout passes again before the round fails.
        for (long t = 1; t < RoundTimeout; t++) rounds.Tick(t);
        Assert.False(read.Completion.Task.IsCompleted);

        Assert.False(rounds.LeaderKnown()); // nothing waited, so no new round is asked for
        AssertFailed(read, EtcdErrors.LeaderChanged);
        Assert.Null(rounds.OpenContext);
    }

    [Fact]
    public void Fail_all_fails_the_open_round_and_the_waiting_reads_alike()
    {
        var (rounds, _) = Make();
        var inRound = Read();
        var waiting = Read();
        rounds.Add(inRound, 0);
        rounds.Add(waiting, 0);
        rounds.FailAll(EtcdErrors.Stopped);
        AssertFailed(inRound, EtcdErrors.Stopped);
        AssertFailed(waiting, EtcdErrors.Stopped);
        Assert.Null(rounds.OpenContext);
        Assert.Equal(0, rounds.PendingCount);
    }
}
