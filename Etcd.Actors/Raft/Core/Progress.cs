namespace Etcd.Actors.Raft.Core;

/// <summary>The leader's view of one follower's log: what it has (Match) and what to send next (Next).</summary>
public sealed class Progress(ulong next, int maxInflight, bool isLearner = false)
{
    /// <summary>A learner receives the log but never votes and never counts towards a quorum.</summary>
    public bool IsLearner { get; set; } = isLearner;

    /// <summary>In Snapshot state: the index of the snapshot being sent.</summary>
    public ulong PendingSnapshot { get; private set; }

    public ulong Match { get; private set; }
    public ulong Next { get; private set; } = next;
    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In Probe state, one MsgApp is outstanding; wait for its answer (or the next heartbeat).</summary>
    public bool ProbeSent { get; set; }

    /// <summary>Heard from since the last CheckQuorum round.</summary>
    public bool RecentActive { get; set; }

    public Inflights Inflights { get; } = new(maxInflight);

    public void BecomeProbe()
    {
        // After a snapshot the follower has at least the snapshot: probe from there, not from Match.
        Next = State == ProgressState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        State = ProgressState.Probe;
        ProbeSent = false;
        PendingSnapshot = 0;
        Inflights.Reset();
    }

    /// <summary>The snapshot did not arrive: forget it, so the next probe starts from what the follower is known to have.</summary>
    public void SnapshotFailure() => PendingSnapshot = 0;

    public void BecomeSnapshot(ulong snapshotIndex)
    {
        State = ProgressState.Snapshot;
        PendingSnapshot = snapshotIndex;
        ProbeSent = false;
        Inflights.Reset();
    }

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        ProbeSent = false;
        PendingSnapshot = 0;
        Inflights.Reset();
        Next = Match + 1;
    }

    /// <summary>An acknowledgement up to <paramref name="index"/>; false when it is stale (already known).</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }
        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>Optimistically assume the MsgApp ending at <paramref name="lastIndex"/> will land.</summary>
    public void OptimisticUpdate(ulong lastIndex) => Next = lastIndex + 1;

    /// <summary>
    /// A rejection of the MsgApp whose previous entry was <paramref name="rejected"/>. Returns false when the
    /// rejection is stale (a reordered answer to an older probe); otherwise moves Next back.
    /// </summary>
    public bool MaybeDecrTo(ulong rejected, ulong lastOfFollower)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match) return false;
            Next = Match + 1;
            return true;
        }
        if (Next - 1 != rejected) return false;
        Next = Math.Max(Math.Min(rejected, lastOfFollower + 1), 1);
        ProbeSent = false;
        return true;
    }

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        ProgressState.Snapshot => true,
        _ => false,
    };

    public override string ToString() =>
        $"match={Match} next={Next} state={State}" + (State == ProgressState.Snapshot ? $" pending={PendingSnapshot}" : "") + (IsLearner ? " learner" : "");
}
