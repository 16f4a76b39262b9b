using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Membership: single-step configuration changes carried by conf change entries. A change takes effect
/// when its committed entry is handed to the host for applying (as etcd's host calls ApplyConfChange), so
/// every member switches at the same index. The leader keeps at most one change in flight.
/// </summary>
public sealed partial class RaftNode
{
    private ClusterConfig _config;

    // The configuration at the log's first index - 1 (the snapshot point) and every change after it, so
    // the host can snapshot at an older index and still record the membership of that index.
    private (ulong Index, ClusterConfig Config) _configBase;
    private readonly List<(ulong Index, ClusterConfig Config)> _configHistory = [];
    private bool _configChanged;

    // Index of the newest conf change the leader proposed; a new one waits until it has been applied.
    private ulong _pendingConfIndex;

    /// <summary>Why <see cref="ProposeConfChange"/> refused; the host maps it onto etcd's errors.</summary>
    public enum ConfChangeRefusal
    {
        NotLeader,
        /// <summary>An earlier change is not applied yet (single-step changes only).</summary>
        Pending,
        /// <summary>A leader transfer is in progress.</summary>
        Transferring,
        /// <summary>
        /// The change does not apply to the current configuration (<see cref="ClusterConfig.Apply"/> refuses it:
        /// a present member added, an absent one removed or updated, the last voter removed, id 0, an unknown
        /// type). It would only be a no-op entry in every member's log, so it never enters it.
        /// </summary>
        Invalid,
    }

    /// <summary>Proposes a membership change; null when it was appended to the leader's log.</summary>
    public ConfChangeRefusal? ProposeConfChange(ConfChange cc)
    {
        ArgumentNullException.ThrowIfNull(cc);
        if (Role != RaftRole.Leader) return ConfChangeRefusal.NotLeader;
        if (_leadTransferee != 0) return ConfChangeRefusal.Transferring;
        if (_pendingConfIndex > _applying) return ConfChangeRefusal.Pending;
        // With no change pending, _config is the configuration the entry will be applied to.
        if (_config.Apply(cc) is null) return ConfChangeRefusal.Invalid;
        var e = new Entry { Type = EntryType.EntryConfChange, Data = cc.ToByteString() };
        AppendEntries([e]);
        _pendingConfIndex = e.Index;
        BcastAppend();
        return null;
    }

    /// <summary>True when the leader has a proposed conf change that is not applied yet.</summary>
    public bool HasPendingConfChange => Role == RaftRole.Leader && _pendingConfIndex > _applying;

    /// <summary>
    /// Metadata for a snapshot of the state machine at <paramref name="index"/> (which it must already
    /// contain): the index, its term and the membership at that index.
    /// </summary>
    public SnapshotMetadata SnapshotMetadataAt(ulong index)
    {
        if (index < _log.FirstIndex - 1 || index > _applying)
            throw new RaftInvariantException($"snapshot index {index} outside [{_log.FirstIndex - 1}, {_applying}]");
        var term = _log.Term(index) ?? throw new RaftInvariantException($"no term for snapshot index {index}");
        return new SnapshotMetadata { Index = index, Term = term, ConfState = ConfigAt(index).ToConfState() };
    }

    private ClusterConfig ConfigAt(ulong index)
    {
        for (var i = _configHistory.Count - 1; i >= 0; i--)
            if (_configHistory[i].Index <= index) return _configHistory[i].Config;
        return _configBase.Config;
    }

    private void ApplyConfChanges(IReadOnlyList<Entry> committed)
    {
        for (var i = 0; i < committed.Count; i++)
            if (committed[i].Type == EntryType.EntryConfChange) ApplyConfChange(committed[i]);
    }

    private void ApplyConfChange(Entry e)
    {
        // A committed entry that is not a conf change (its bytes do not parse) is applied as a no-op, the
        // configuration unchanged: the verdict depends on the entry alone, so every member, and every restart,
        // reaches the same one. etcd-io/raft panics here, which would crash-loop every member on the same
        // committed entry; the leader never appends one (ProposeConfChange, StepLeader), so such an entry can
        // only come from an older or foreign log, and the host says so loudly (RaftActor, MvccStoreActor).
        if (TryParseConfChange(e.Data) is not { } cc) return;
        // Not applicable to this configuration (e.g. adding a present voter): every member refuses it alike.
        if (_config.Apply(cc) is not { } next || next.Equals(_config)) return;
        _config = next;
        _voters = new MajorityConfig(next.Voters);
        _configHistory.Add((e.Index, next));
        _configChanged = true;
        if (Role == RaftRole.Leader) UpdateLeaderProgress(cc.NodeId);
    }

    /// <summary>The conf change in <paramref name="data"/>, or null when the bytes are not one.</summary>
    public static ConfChange? TryParseConfChange(ByteString data)
    {
        try
        {
            return ConfChange.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether a conf change entry proposed to this leader may enter the log: its bytes are a conf change, no
    /// other change is unapplied (single-step changes) and it applies to the current configuration.
    /// </summary>
    private bool AcceptsConfChangeEntry(Entry e) =>
        _pendingConfIndex <= _applying && TryParseConfChange(e.Data) is { } cc && _config.Apply(cc) is not null;

    /// <summary>The leader tracks exactly the new configuration's members; a smaller quorum may commit at once.</summary>
    private void UpdateLeaderProgress(ulong changed)
    {
        if (_config.Contains(changed))
        {
            if (_prs.TryGetValue(changed, out var pr))
            {
                pr.IsLearner = _config.IsLearner(changed);
            }
            else
            {
                // Counted as active so that check-quorum does not step down before the new member answers.
                _prs[changed] = new Progress(_log.LastIndex + 1, _cfg.MaxInflightMsgs, _config.IsLearner(changed)) { RecentActive = true };
            }
        }
        else if (changed != Id)
        {
            _prs.Remove(changed);
            if (_leadTransferee == changed) AbortLeaderTransfer();
        }

        if (!_config.IsVoter(Id))
        {
            // This leader was removed: hand leadership to the most up-to-date voter so the cluster does not
            // wait an election timeout; the host stops the member shortly after.
            var best = _config.Voters.Where(v => _prs.ContainsKey(v)).OrderByDescending(v => _prs[v].Match).FirstOrDefault();
            if (best != 0) HandleTransferLeader(best);
        }
        if (MaybeCommit()) BcastAppend();
    }

    /// <summary>True when a committed conf change is waiting to be handed out; campaigning then could use a stale configuration.</summary>
    private bool HasUnappliedConfChange()
    {
        if (_log.Committed <= _applying) return false;
        var from = Math.Max(_applying + 1, _log.FirstIndex);
        foreach (var e in _log.Slice(from, _log.Committed + 1))
            if (e.Type == EntryType.EntryConfChange) return true;
        return false;
    }
}
