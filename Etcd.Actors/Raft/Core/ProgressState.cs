namespace Etcd.Actors.Raft.Core;

/// <summary>How the leader currently replicates to one follower.</summary>
public enum ProgressState
{
    /// <summary>Match unknown: send one MsgApp per heartbeat interval and wait for the answer.</summary>
    Probe,
    /// <summary>Follower is in sync: stream entries optimistically, bounded by the inflight window.</summary>
    Replicate,
}
