using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// RaftActor's linearizable-read bookkeeping, kept apart from the actor (no Akka, no clock: the caller passes its
/// tick count and ticks the rounds once per tick). Reads share ReadIndex rounds: every read that arrives while a
/// round is open joins the next one. A round whose answer is lost is asked again every
/// <c>retryTicks</c> (etcd retries after 500 ms) and fails with "request timed out" after
/// <c>roundTimeoutTicks</c>; a new leader is asked again, at most <see cref="MaxRoundLeaderChanges"/> times before
/// the round fails with "leader changed". Reads wait for a leader like proposals do: at most <c>maxPending</c>
/// ("too many requests" beyond), for at most <c>noLeaderTimeoutTicks</c> ("no leader" then).
/// <para><c>askLeader</c> steps a ReadIndex with the given context into the Raft node and says whether a leader
/// was there to ask. Every method that returns a bool returns true when it asked, i.e. when the caller should
/// process the node's Ready.</para>
/// </summary>
internal sealed class ReadRounds(
    ulong memberId, int maxPending, int roundTimeoutTicks, int retryTicks, int noLeaderTimeoutTicks, Func<ByteString, bool> askLeader)
{
    /// <summary>Leader changes one round may live through before its reads fail with "leader changed".</summary>
    public const int MaxRoundLeaderChanges = 2;

    private List<MvccProtocol.ReadCommand> _pending = [];
    private long _pendingSince = -1;
    private Round? _round;
    // Drawn on the first round: member id + this incarnation's nonce + counter, unique across members and restarts.
    private ReadIndexContexts? _contexts;

    /// <summary>One ReadIndex round shared by every read that arrived before it started.</summary>
    private sealed record Round(ByteString Context, List<MvccProtocol.ReadCommand> Reads)
    {
        public int AgeTicks { get; set; }
        public int LeaderChanges { get; set; }
    }

    /// <summary>Reads waiting for the next round.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>The open round's context, or null.</summary>
    public ByteString? OpenContext => _round?.Context;

    /// <summary>
    /// A new read: refused with "too many requests" when <c>maxPending</c> already wait, otherwise queued, and a
    /// round started when none is open.
    /// </summary>
    public bool Add(MvccProtocol.ReadCommand read, long now)
    {
        // Reads cannot be answered while no leader is known or a round is open; bound how many may wait.
        if (_pending.Count >= maxPending)
        {
            read.Completion.TrySetException(EtcdErrors.TooManyRequests.ToException());
            return false;
        }
        if (_pending.Count == 0) _pendingSince = now;
        _pending.Add(read);
        return _round is null && TryStart();
    }

    /// <summary>Starts a round of the waiting reads, when there are any and a leader to ask.</summary>
    public bool TryStart()
    {
        if (_pending.Count == 0) return false;
        _contexts ??= ReadIndexContexts.NewIncarnation(memberId);
        var context = _contexts.Next();
        // No leader to ask yet: the reads wait (Tick bounds how long).
        if (!askLeader(context)) return false;
        _round = new Round(context, _pending);
        _pending = [];
        _pendingSince = -1;
        return true;
    }

    /// <summary>
    /// The answer to a ReadIndex with <paramref name="context"/>: the open round's reads (to serve at the answer's
    /// index) when it answers that round, else null (a stale or duplicate answer). The caller then calls
    /// <see cref="TryStart"/> for the reads that waited.
    /// </summary>
    public IReadOnlyList<MvccProtocol.ReadCommand>? Answered(ByteString context)
    {
        if (_round is not { } round || round.Context != context) return null;
        _round = null;
        return round.Reads;
    }

    /// <summary>Once per tick, at tick <paramref name="now"/> (after it was counted).</summary>
    public bool Tick(long now)
    {
        if (_round is { } round)
        {
            round.AgeTicks++;
            if (round.AgeTicks >= roundTimeoutTicks) return FailRound(EtcdErrors.Timeout);
            if (round.AgeTicks % retryTicks != 0) return false;
            // Lost on the way (or its answer was): the same context again; a leader ignores a duplicate.
            askLeader(round.Context);
            return true;
        }
        if (_pending.Count == 0) return false;
        if (now - _pendingSince >= noLeaderTimeoutTicks)
        {
            foreach (var read in _pending) read.Completion.TrySetException(EtcdErrors.NoLeader.ToException());
            _pending = [];
            _pendingSince = -1;
            return false;
        }
        return TryStart();
    }

    /// <summary>A (new) leader is known: ask it for the open round, or start the one that waited.</summary>
    public bool LeaderKnown()
    {
        if (_round is not { } round) return TryStart();
        if (++round.LeaderChanges > MaxRoundLeaderChanges) return FailRound(EtcdErrors.LeaderChanged);
        round.AgeTicks = 0;
        return askLeader(round.Context);
    }

    /// <summary>Fails the open round's reads with <paramref name="error"/> and starts the next round.</summary>
    private bool FailRound(EtcdError error)
    {
        if (_round is null) return false;
        foreach (var read in _round.Reads) read.Completion.TrySetException(error.ToException());
        _round = null;
        return TryStart();
    }

    /// <summary>Fails every read, in a round or waiting, with <paramref name="error"/> (the actor stops or restarts).</summary>
    public void FailAll(EtcdError error)
    {
        if (_round is { } round)
            foreach (var read in round.Reads) read.Completion.TrySetException(error.ToException());
        _round = null;
        foreach (var read in _pending) read.Completion.TrySetException(error.ToException());
        _pending.Clear();
    }
}
