using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// RaftActor's replay accumulator, kept apart from the actor: the journal's events, in order, rebuild exactly the
/// log that was durable. Truncation markers and overlapping batches cut the tail, our own snapshot drops the
/// entries it covers, the leader's snapshot replaces the whole log, and a gap fails loudly.
/// </summary>
internal sealed class RecoveredLog(string journal)
{
    private readonly List<Entry> _entries = [];

    public HardState HardState { get; private set; } = new();
    public SnapshotMetadata? Snapshot { get; private set; }
    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Index of the last entry recovered (or of the snapshot when there is none after it).</summary>
    public ulong LastIndex => _entries.Count > 0 ? _entries[^1].Index : Snapshot?.Index ?? 0;

    /// <summary>Nothing was ever written: a new cluster's member bootstraps, a joining one waits.</summary>
    public bool IsEmpty => _entries.Count == 0 && Snapshot is null && HardState.Term == 0;

    public void HardStateSaved(HardState? state) => HardState = state ?? new HardState();

    public void Appended(IReadOnlyList<Entry> entries, HardState? state)
    {
        Append(entries);
        if (state is not null) HardState = state;
    }

    public void TruncatedFrom(ulong index) => _entries.RemoveAll(x => x.Index >= index);

    /// <summary>Our own snapshot: entries after it stay.</summary>
    public void SnapshotSaved(SnapshotMetadata meta)
    {
        Snapshot = meta;
        _entries.RemoveAll(x => x.Index <= meta.Index);
    }

    /// <summary>The leader's snapshot replaced the whole log, including any tail beyond it.</summary>
    public void SnapshotInstalled(SnapshotMetadata meta)
    {
        Snapshot = meta;
        _entries.Clear();
    }

    private void Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        var snapIndex = Snapshot?.Index ?? 0;
        var first = entries[0].Index;
        // A batch that starts at or below the current tail replaces it (truncation markers are always
        // written, but an overlapping batch must never leave two versions of one index).
        if (_entries.Count > 0 && first <= _entries[^1].Index)
            _entries.RemoveAll(x => x.Index >= first);
        // After a snapshot's journal compaction the rows start mid-log, before the SnapshotSaved record that
        // explains them (the row straddling the snapshot index is kept): the first batch sets the start, and
        // Finish checks that a snapshot accounts for everything before it.
        var expected = _entries.Count > 0 ? _entries[^1].Index + 1
            : Snapshot is null ? first : snapIndex + 1;
        foreach (var e in entries)
        {
            if (e.Index <= snapIndex) continue;
            if (e.Index != expected)
                throw new RaftInvariantException($"journal of {journal} has a gap: expected index {expected}, found {e.Index}");
            _entries.Add(e);
            expected++;
        }
    }

    /// <summary>What the core restarts from; fails when the entries do not start right after the snapshot.</summary>
    public RaftRecoveredState Finish()
    {
        var startsAt = Snapshot?.Index + 1 ?? 1;
        if (_entries.Count > 0 && _entries[0].Index != startsAt)
            throw new RaftInvariantException(
                $"journal of {journal} starts at index {_entries[0].Index} but its snapshot covers only up to {startsAt - 1}");
        return new RaftRecoveredState(HardState, _entries.ToList(), Snapshot);
    }
}
