namespace Etcd.Actors.Raft;

/// <summary>
/// Bookkeeping, once per tick, for what Raft alone keeps silent about (no Akka, no clock: the caller
/// passes its tick count).
/// <list type="bullet">
/// <item>A member that has known no leader for a long time says so, every
/// <see cref="LeaderlessReportElectionTimeouts"/> election timeouts: with pre-vote and check-quorum a member
/// that cannot hear the leader pre-campaigns forever, the others ignore it while their lease holds, and
/// nothing else would show in any log (issue 8: a member sat leaderless for 50 s without a line).</item>
/// <item>A leader whose follower writes to it (its pings and messages arrive) but has answered none of its
/// heartbeats for <see cref="DeafAfterElectionTimeouts"/> election timeouts, and whose pings say it does not
/// hear the leader, has a link that carries one direction only: the caller resets that connection (at most once
/// per that period per peer). A follower we do not hear at all is down or partitioned, which Raft's ordinary
/// timeouts handle. A follower that says it hears us is slow, not cut off: its answers wait for its own journal
/// write (RaftActor sends a follower's messages only once its Ready is durable) while its pings do not, and
/// resetting its connection would only throw away what is in flight to it.</item>
/// <item>In any role, a peer whose pings arrive but none of which has said, for
/// <see cref="DeafAfterElectionTimeouts"/> election timeouts, that it hears us (PeerHealth.HearsUs: some ping within
/// an election timeout said so): our own connection to it is dead although the
/// peer's to us carries (a close our transport never noticed), and the caller resets it the same way
/// (<c>answering</c> of <see cref="IsDeaf"/> is false when not leading).</item>
/// </list>
/// </summary>
public sealed class PeerLinkWatch
{
    public const int LeaderlessReportElectionTimeouts = 10;
    public const int DeafAfterElectionTimeouts = 3;

    private readonly long _leaderlessPeriod;
    private readonly long _deafPeriod;
    private readonly Dictionary<ulong, long> _unansweredSince = new();
    private long _leaderlessSince = -1;
    private long _reportedAt = -1;

    public PeerLinkWatch(int electionTick)
    {
        if (electionTick <= 0) throw new ArgumentOutOfRangeException(nameof(electionTick), electionTick, "election tick must be > 0");
        _leaderlessPeriod = (long)electionTick * LeaderlessReportElectionTimeouts;
        _deafPeriod = (long)electionTick * DeafAfterElectionTimeouts;
    }

    /// <summary>
    /// How many ticks this member has been without a leader, when that is worth a log line now (first after
    /// <see cref="LeaderlessReportElectionTimeouts"/> election timeouts, then as often); otherwise null.
    /// </summary>
    public long? LeaderlessReportDue(long now, bool knowsLeader)
    {
        if (knowsLeader)
        {
            _leaderlessSince = -1;
            _reportedAt = -1;
            return null;
        }
        if (_leaderlessSince < 0) _leaderlessSince = now;
        if (now - _leaderlessSince < _leaderlessPeriod || (_reportedAt >= 0 && now - _reportedAt < _leaderlessPeriod)) return null;
        _reportedAt = now;
        return now - _leaderlessSince;
    }

    /// <summary>
    /// Per peer and tick: <paramref name="answering"/> is, while leading, the follower's progress's RecentActive (it
    /// answered within the current election timeout; false when not leading), <paramref name="heard"/> whether any message of it arrived within an
    /// election timeout, <paramref name="hearsUs"/> whether some ping of it within an election timeout said it
    /// hears us. True when its link should be reset now.
    /// </summary>
    public bool IsDeaf(ulong peer, long now, bool answering, bool heard, bool hearsUs)
    {
        if (answering || hearsUs)
        {
            _unansweredSince.Remove(peer);
            return false;
        }
        if (!_unansweredSince.TryGetValue(peer, out var since))
        {
            _unansweredSince[peer] = now;
            return false;
        }
        if (now - since < _deafPeriod) return false;
        _unansweredSince[peer] = now; // next verdict no sooner than another period
        return heard;
    }

    /// <summary>The role changed (leading or not): what counts as an answer changed, so every period starts afresh.</summary>
    public void NotLeading() => _unansweredSince.Clear();

    /// <summary>The peer left the configuration (<see cref="PeerHealth.Forget"/>).</summary>
    public void Forget(ulong peer) => _unansweredSince.Remove(peer);
}
