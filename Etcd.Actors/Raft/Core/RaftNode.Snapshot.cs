using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Snapshots. The core never holds snapshot data: a MsgSnap carries only metadata (index, term,
/// membership) and the host streams the state machine's data beside it, then steps the MsgSnap into the
/// follower once the data is complete. The leader snapshots at its applied index, whose data the host's
/// state machine already has; the follower restores its log to that point and hands the metadata to its
/// host in <see cref="Ready.Snapshot"/> to install before anything after it is applied.
/// </summary>
public sealed partial class RaftNode
{
    // A snapshot restored from the leader, not yet handed to the host in a Ready.
    private SnapshotMetadata? _pendingSnapshot;

    /// <summary>A MsgSnap was accepted and the next Ready will ask the host to install it.</summary>
    public bool HasPendingSnapshot => _pendingSnapshot is not null;

    /// <summary>Index of the snapshot the next Ready will hand out for installing, if any.</summary>
    public ulong? PendingSnapshotIndex => _pendingSnapshot?.Index;

    /// <summary>The host's transfer of the snapshot to <paramref name="to"/> finished (or failed).</summary>
    public void ReportSnapshot(ulong to, bool ok)
    {
        if (Role != RaftRole.Leader || !_prs.TryGetValue(to, out var pr) || pr.State != ProgressState.Snapshot) return;
        if (!ok)
        {
            // Probe from what the follower is known to have; the next heartbeat answer retries.
            pr.SnapshotFailure();
            pr.BecomeProbe();
        }
        else
        {
            pr.BecomeProbe();
        }
        // Wait for the follower's answer (or the next heartbeat) before sending more.
        pr.ProbeSent = true;
    }

    /// <summary>The host could not deliver to <paramref name="to"/>: stop streaming optimistically.</summary>
    public void ReportUnreachable(ulong to)
    {
        if (Role != RaftRole.Leader || !_prs.TryGetValue(to, out var pr)) return;
        if (pr.State == ProgressState.Replicate) pr.BecomeProbe();
    }

    /// <summary>Leader: the follower needs entries we no longer have.</summary>
    private bool SendSnapshot(ulong to, Progress pr)
    {
        // A peer that has not answered recently is probably down; a snapshot to it would only waste the link.
        if (!pr.RecentActive) return false;
        var meta = SnapshotMetadataAt(_log.Applied);
        Send(new Message { To = to, Type = MessageType.MsgSnap, Snapshot = new Snapshot { Metadata = meta } });
        pr.BecomeSnapshot(meta.Index);
        return true;
    }

    private void HandleSnapshot(Message m)
    {
        var meta = m.Snapshot?.Metadata ?? throw new RaftInvariantException("MsgSnap without metadata");
        if (Restore(meta)) Send(new Message { To = m.From, Type = MessageType.MsgAppResp, Index = _log.LastIndex });
        else Send(new Message { To = m.From, Type = MessageType.MsgAppResp, Index = _log.Committed });
    }

    private bool Restore(SnapshotMetadata meta)
    {
        if (meta.Index <= _log.Committed) return false;
        if (_log.MatchTerm(meta.Index, meta.Term))
        {
            // We already have the snapshot's last entry: just commit up to it (etcd's fast-forward).
            _log.CommitTo(meta.Index);
            return false;
        }
        var config = ClusterConfig.From(meta.ConfState);
        if (config.Voters.Count == 0) throw new RaftInvariantException($"snapshot {meta.Index} has no voters");
        _log.Restore(meta.Index, meta.Term);
        _config = config;
        _voters = new MajorityConfig(config.Voters);
        _configBase = (meta.Index, config);
        _configHistory.Clear();
        _configChanged = true;
        _applying = meta.Index;
        _pendingSnapshot = meta.Clone();
        return true;
    }
}
