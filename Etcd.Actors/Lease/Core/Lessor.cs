namespace Etcd.Actors.Lease.Core;

/// <summary>
/// The time side of etcd's lessor (lease/lessor.go): when each lease expires, renewals, the checkpoint schedule,
/// and promotion/demotion with leadership. It follows the applied lease table (<see cref="Apply"/>, fed in log order
/// by the store) and decides nothing on its own: expiry and checkpoints come out of it as lists of ids for the leader
/// to propose through Raft. Only a primary (the leader's lessor) has expiry times; elsewhere every lease lives for
/// ever, as in etcd, so no member deletes a key by its own clock.
///
/// Pure: time is the caller's monotonic clock in milliseconds (<c>now</c>), passed to every call.
/// </summary>
public sealed class Lessor
{
    private const long Forever = long.MaxValue;

    private readonly Dictionary<long, State> _leases = new();
    // Expiry and checkpoint queues with lazy deletion: an entry counts only while it matches the lease's state.
    private readonly PriorityQueue<long, long> _expiry = new();
    private readonly PriorityQueue<long, long> _checkpoints = new();
    private readonly long _checkpointIntervalMs;

    /// <param name="checkpointIntervalMs">How often the leader checkpoints a lease's remaining TTL (etcd's
    /// leaseCheckpointInterval, 5 min); 0 turns checkpointing off (etcd's default; ours is on).</param>
    /// <param name="retryRevokeMs">How long after proposing a lease's revocation the leader proposes it again if the
    /// lease still exists (etcd's expiredLeaseRetryInterval, 3 s): a proposal lost in a leader change is not final. A
    /// renewal's clearing of a checkpoint that has not applied after as long is proposed again too.</param>
    public Lessor(long checkpointIntervalMs, long retryRevokeMs)
    {
        if (checkpointIntervalMs < 0) throw new ArgumentOutOfRangeException(nameof(checkpointIntervalMs));
        if (retryRevokeMs < 1) throw new ArgumentOutOfRangeException(nameof(retryRevokeMs));
        _checkpointIntervalMs = checkpointIntervalMs;
        RetryRevokeMs = retryRevokeMs;
    }

    public long RetryRevokeMs { get; }

    public bool IsPrimary { get; private set; }

    public bool Checkpointing => _checkpointIntervalMs > 0;

    public int Count => _leases.Count;

    /// <summary>Every lease id, ascending (LeaseLeases).</summary>
    public List<long> Ids()
    {
        var ids = new List<long>(_leases.Keys);
        ids.Sort();
        return ids;
    }

    public bool Exists(long id) => _leases.ContainsKey(id);

    /// <summary>Follows one applied change. A lease granted while primary starts its life now (etcd's Grant refreshes it).</summary>
    public void Apply(LeaseChange change, long now)
    {
        var r = change.Lease;
        switch (change.Kind)
        {
            case LeaseChangeKind.Granted:
                var s = new State(r.Ttl, r.RemainingTtl);
                _leases[r.Id] = s;
                if (IsPrimary) Start(r.Id, s, now, 0);
                break;
            case LeaseChangeKind.Revoked:
                _leases.Remove(r.Id);
                break;
            case LeaseChangeKind.Checkpointed:
                // As etcd: only recorded; Promote applies it to the expiry.
                if (_leases.TryGetValue(r.Id, out var c)) c.AppliedRemainingTtl = c.RemainingTtl = r.RemainingTtl;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "unknown lease change");
        }
    }

    /// <summary>Starts again from the whole applied table (the store reopened its backend).</summary>
    public void Reset(IReadOnlyList<LeaseChange> table, long now, long extendMs)
    {
        _leases.Clear();
        _expiry.Clear();
        _checkpoints.Clear();
        foreach (var c in table)
        {
            if (c.Kind != LeaseChangeKind.Granted) throw new ArgumentException($"a reset lists leases as Granted, got {c.Kind}", nameof(table));
            _leases[c.Lease.Id] = new State(c.Lease.Ttl, c.Lease.RemainingTtl);
        }
        if (IsPrimary) Promote(now, extendMs);
    }

    /// <summary>
    /// etcd's Promote: this member now leads. Every lease gets a fresh life from now: what its last checkpoint left,
    /// or its full TTL, plus <paramref name="extendMs"/> (etcd extends by an election timeout), so a failover never
    /// expires leases whose owners could not reach anyone during the election.
    /// </summary>
    public void Promote(long now, long extendMs)
    {
        IsPrimary = true;
        _expiry.Clear();
        _checkpoints.Clear();
        foreach (var (id, s) in _leases) Start(id, s, now, extendMs);
    }

    /// <summary>etcd's Demote: no longer the leader; leases live for ever here until this member leads again.</summary>
    public void Demote()
    {
        IsPrimary = false;
        _expiry.Clear();
        _checkpoints.Clear();
        foreach (var s in _leases.Values)
        {
            s.ExpiryMs = Forever;
            s.RevokeProposedAt = null;
            // What this member proposed as leader and never saw applied is forgotten: the log is what all agree on.
            s.RemainingTtl = s.AppliedRemainingTtl;
        }
    }

    /// <summary>etcd's Renew (a keep-alive): the lease lives its full TTL from now.</summary>
    public RenewOutcome Renew(long id, long now)
    {
        if (!IsPrimary) return new RenewOutcome(0, NotPrimary: true, ClearCheckpoint: false);
        if (!_leases.TryGetValue(id, out var s)) return new RenewOutcome(0, false, false);
        // An expired lease whose revocation is under way is not brought back (etcd: "lease expired" → TTL 0 answer).
        if (s.ExpiryMs <= now) return new RenewOutcome(0, false, false);
        // A clearing proposed earlier that has not applied a retry interval later was refused ("too many requests")
        // or lost while this member went on leading (proposals here have no waiter): propose it again, or the log keeps
        // the old remaining TTL until the next checkpoint, and a failover meanwhile would cut a kept-alive lease short.
        var clearLost = s.AppliedRemainingTtl > 0 && s.ClearProposedAt is { } proposed && now - proposed >= RetryRevokeMs;
        var clear = Checkpointing && (s.RemainingTtl > 0 || clearLost);
        // Recorded at once, so renewals until the clearing applies (or its retry is due) propose no more.
        if (clear)
        {
            s.RemainingTtl = 0;
            s.ClearProposedAt = now;
        }
        s.ExpiryMs = now + s.Ttl * 1000;
        Queue(id, s, s.ExpiryMs);
        return new RenewOutcome(s.Ttl, false, clear);
    }

    /// <summary>Whether the lease exists and its time is up here (primary only: a demoted lessor's leases live for ever).</summary>
    public bool IsExpired(long id, long now) => IsPrimary && _leases.TryGetValue(id, out var s) && s.ExpiryMs <= now;

    /// <summary>
    /// The checkpoint to propose now for a lease <see cref="DueCheckpoints"/> returned earlier: its remaining TTL as of
    /// <paramref name="now"/> (rounded up), recorded here so that the next renewal proposes its clearing; null when it
    /// is gone, expired, not primary here, or renewed since (full TTL left: its renewal proposed what applies).
    /// </summary>
    public LeaseRecord? Checkpoint(long id, long now)
    {
        if (!IsPrimary || !Checkpointing || !_leases.TryGetValue(id, out var s) || s.ExpiryMs <= now) return null;
        var remaining = (s.ExpiryMs - now + 999) / 1000;
        if (remaining >= s.Ttl) return null;
        s.RemainingTtl = remaining;
        return new LeaseRecord(id, s.Ttl, remaining);
    }

    /// <summary>The granted TTL and the seconds left (truncated), or null for an unknown lease.</summary>
    public LeaseTimeToLive? TimeToLive(long id, long now)
    {
        if (!_leases.TryGetValue(id, out var s)) return null;
        if (s.ExpiryMs == Forever) return new LeaseTimeToLive(s.Ttl, s.AppliedRemainingTtl > 0 ? s.AppliedRemainingTtl : s.Ttl);
        return new LeaseTimeToLive(s.Ttl, Math.Max(0, (s.ExpiryMs - now) / 1000));
    }

    /// <summary>
    /// The leases whose time is up and whose revocation is not already under way, at most <paramref name="max"/>
    /// (etcd's leaseRevokeRate): each is marked as proposed now, and comes out again only if it still exists
    /// <see cref="RetryRevokeMs"/> later. Empty unless primary.
    /// </summary>
    public List<long> Expired(long now, int max)
    {
        var due = new List<long>();
        if (!IsPrimary) return due;
        var retry = new List<(long, long)>();
        while (due.Count < max && _expiry.TryPeek(out var id, out var at) && at <= now)
        {
            _expiry.Dequeue();
            if (!_leases.TryGetValue(id, out var s) || s.QueuedAt != at) continue; // revoked or renewed since
            if (s.RevokeProposedAt is { } proposed && now - proposed < RetryRevokeMs)
            {
                retry.Add((id, proposed + RetryRevokeMs));
                continue;
            }
            s.RevokeProposedAt = now;
            due.Add(id);
            retry.Add((id, now + RetryRevokeMs));
        }
        // Still expired: looked at again once the retry interval has passed (then proposed again if it still exists).
        foreach (var (id, when) in retry) Queue(id, _leases[id], when);
        return due;
    }

    /// <summary>
    /// etcd's findDueScheduledCheckpoints: the leases whose checkpoint is due, with their remaining TTL in seconds
    /// (rounded up), at most <paramref name="max"/>. A lease renewed since (full TTL left) or already expired is
    /// skipped. Each is scheduled again one interval later. Empty unless primary with checkpointing on.
    /// </summary>
    public List<LeaseRecord> DueCheckpoints(long now, int max)
    {
        var due = new List<LeaseRecord>();
        if (!IsPrimary || !Checkpointing) return due;
        while (due.Count < max && _checkpoints.TryPeek(out var id, out var at) && at <= now)
        {
            _checkpoints.Dequeue();
            if (!_leases.TryGetValue(id, out var s) || s.CheckpointAt != at) continue;
            ScheduleCheckpoint(id, s, now);
            if (s.ExpiryMs <= now) continue;
            var remaining = (s.ExpiryMs - now + 999) / 1000;
            if (remaining >= s.Ttl) continue;
            // Not recorded here: only once proposed (Checkpoint), which waits for a leadership round.
            due.Add(new LeaseRecord(id, s.Ttl, remaining));
        }
        return due;
    }

    private void Start(long id, State s, long now, long extendMs)
    {
        // The applied value, as every member would: a checkpoint or clearing this member proposed and lost does not count.
        var ttl = s.AppliedRemainingTtl > 0 ? s.AppliedRemainingTtl : s.Ttl;
        s.RemainingTtl = s.AppliedRemainingTtl;
        s.ExpiryMs = now + extendMs + ttl * 1000;
        s.RevokeProposedAt = null;
        Queue(id, s, s.ExpiryMs);
        ScheduleCheckpoint(id, s, now);
    }

    private void Queue(long id, State s, long at)
    {
        s.QueuedAt = at;
        _expiry.Enqueue(id, at);
        // Every renewal leaves a stale entry behind (lazy deletion, as etcd's heap): bound them by rebuilding.
        if (_expiry.Count > 4 * (_leases.Count + 256)) RebuildExpiryQueue();
    }

    private void RebuildExpiryQueue()
    {
        _expiry.Clear();
        foreach (var (id, st) in _leases)
            if (st.ExpiryMs != Forever) _expiry.Enqueue(id, st.QueuedAt);
    }

    // etcd's scheduleCheckpointIfNeeded: only leases that outlive an interval are worth a checkpoint.
    private void ScheduleCheckpoint(long id, State s, long now)
    {
        if (!Checkpointing || s.Ttl * 1000 <= _checkpointIntervalMs) return;
        s.CheckpointAt = now + _checkpointIntervalMs;
        _checkpoints.Enqueue(id, s.CheckpointAt);
    }

    private sealed class State(long ttl, long remainingTtl)
    {
        public long Ttl { get; } = ttl;
        // The remaining TTL the log holds (grant, then checkpoints): what promotion and a follower's TimeToLive use.
        public long AppliedRemainingTtl { get; set; } = remainingTtl;
        // What this leader last proposed (a checkpoint, or a renewal's clearing) or applied: only decides whether the
        // next renewal proposes a clearing. It can differ from the applied value while a proposal is in flight or lost.
        public long RemainingTtl { get; set; } = remainingTtl;
        public long ExpiryMs { get; set; } = Forever;
        // When the expiry queue looks at it next (the expiry, or a revocation's retry).
        public long QueuedAt { get; set; }
        public long CheckpointAt { get; set; }
        public long? RevokeProposedAt { get; set; }
        // When a renewal last proposed clearing the applied remaining TTL (see Renew).
        public long? ClearProposedAt { get; set; }
    }
}
