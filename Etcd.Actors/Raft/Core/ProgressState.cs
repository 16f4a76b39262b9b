namespace Etcd.Actors.Raft.Core;

/// <summary>How the leader currently replicates to one follower.</summary>
public enum ProgressState
{
    /// <summary>Match unknown: send one MsgApp per heartbeat interval and wait for the answer.</summary>
    Probe,
    /// <summary>Follower is in sync: stream entries optimistically, bounded by the inflight window.</summary>
    Replicate,
    /// <summary>
    /// The follower needs entries the leader no longer has: a snapshot is on its way and nothing else is
    /// sent until the follower acknowledges it (or the host reports that the transfer failed).
    /// </summary>
    Snapshot,
}
