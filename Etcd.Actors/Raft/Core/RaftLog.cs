using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// The whole Raft log as the core sees it: a snapshot point, the stable entries recovered from (or
/// already written to) the journal, and the unstable tail not yet durable. Indexes are 1-based; the
/// snapshot point (0/0 initially) stands in for everything before it.
/// </summary>
public sealed class RaftLog
{
    private readonly List<Entry> _stable;
    private ulong _snapIndex;
    private ulong _snapTerm;

    public RaftLog(RaftRecoveredState state)
    {
        _snapIndex = state.Snapshot?.Index ?? 0;
        _snapTerm = state.Snapshot?.Term ?? 0;
        _stable = new List<Entry>(state.Entries.Count);
        var expected = _snapIndex + 1;
        foreach (var e in state.Entries)
        {
            if (e.Index != expected) throw new RaftInvariantException($"recovered log is not contiguous: expected index {expected}, got {e.Index}");
            if (e.Term < (_stable.Count > 0 ? _stable[^1].Term : _snapTerm))
                throw new RaftInvariantException($"recovered log has decreasing terms at index {e.Index}");
            _stable.Add(e);
            expected++;
        }
        Unstable = new UnstableLog(expected);
        var commit = state.HardState.Commit;
        if (commit > LastIndex) throw new RaftInvariantException($"recovered commit {commit} is beyond last index {LastIndex}");
        // The snapshot is committed by definition, even if the hard state was written before it.
        Committed = Math.Max(commit, _snapIndex);
        Applied = _snapIndex;
    }

    public UnstableLog Unstable { get; }
    public ulong Committed { get; private set; }
    public ulong Applied { get; private set; }

    public ulong FirstIndex => _snapIndex + 1;
    public ulong StableLastIndex => _snapIndex + (ulong)_stable.Count;
    public ulong LastIndex => Unstable.MaybeLastIndex ?? StableLastIndex;

    /// <summary>
    /// The last index up to which this log is on disk as it is in memory: the stable entries before the unstable
    /// tail (which may shadow a stable suffix while a truncation is being written).
    /// </summary>
    public ulong DurableLastIndex => Math.Min(LastIndex, Unstable.Offset - 1);
    public ulong LastTerm => Term(LastIndex) ?? throw new RaftInvariantException($"no term for last index {LastIndex}");

    /// <summary>The term of the entry at <paramref name="index"/>, or null if it is compacted away or beyond the log.</summary>
    public ulong? Term(ulong index)
    {
        if (index == _snapIndex) return _snapTerm;
        if (index < _snapIndex) return null;
        // The unstable tail shadows any stable entries at or after its offset (a pending truncation).
        if (index >= Unstable.Offset) return Unstable.MaybeTerm(index);
        return index <= StableLastIndex ? _stable[(int)(index - _snapIndex - 1)].Term : null;
    }

    public bool MatchTerm(ulong index, ulong term) => Term(index) == term;

    /// <summary>Raft §5.4.1: a candidate's log is at least as up to date as ours.</summary>
    public bool IsUpToDate(ulong lastIndex, ulong term) =>
        term > LastTerm || (term == LastTerm && lastIndex >= LastIndex);

    /// <summary>Appends at the leader (or after a conflict check); never below the commit index.</summary>
    public ulong Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return LastIndex;
        var after = entries[0].Index - 1;
        if (after < Committed) throw new RaftInvariantException($"appending after {after} is below committed {Committed}");
        if (after > LastIndex) throw new RaftInvariantException($"appending after {after} leaves a gap after last index {LastIndex}");
        for (var i = 1; i < entries.Count; i++)
            if (entries[i].Index != entries[i - 1].Index + 1) throw new RaftInvariantException("appended entries are not contiguous");
        Unstable.TruncateAndAppend(entries);
        return LastIndex;
    }

    /// <summary>
    /// Follower side of MsgApp: if our entry at <paramref name="index"/> has <paramref name="logTerm"/>,
    /// drop any conflicting suffix, append what is new and advance commit. Returns the last index the
    /// leader's message vouches for, or null when the log does not match (the leader must back off).
    /// </summary>
    public ulong? MaybeAppend(ulong index, ulong logTerm, ulong committed, IReadOnlyList<Entry> entries)
    {
        if (!MatchTerm(index, logTerm)) return null;
        var lastNew = index + (ulong)entries.Count;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            if (conflict <= Committed) throw new RaftInvariantException($"entry {conflict} conflicts with committed entry (committed {Committed})");
            var from = (int)(conflict - (index + 1));
            Append(entries.Skip(from).ToList());
        }
        CommitTo(Math.Min(committed, lastNew));
        return lastNew;
    }

    /// <summary>Index of the first entry that is new or has a different term than ours; 0 if all match.</summary>
    public ulong FindConflict(IReadOnlyList<Entry> entries)
    {
        foreach (var e in entries)
            if (!MatchTerm(e.Index, e.Term)) return e.Index;
        return 0;
    }

    public void CommitTo(ulong commit)
    {
        // Commit never decreases; a smaller value (e.g. a stale heartbeat) is simply ignored.
        if (commit <= Committed) return;
        if (commit > LastIndex) throw new RaftInvariantException($"commit {commit} is out of range [last index {LastIndex}]");
        Committed = commit;
    }

    /// <summary>Leader rule (§5.4.2): only an entry of the current term is committed by counting replicas.</summary>
    public bool MaybeCommit(ulong index, ulong term)
    {
        if (index > Committed && Term(index) == term)
        {
            CommitTo(index);
            return true;
        }
        return false;
    }

    public void AppliedTo(ulong index)
    {
        if (index == 0) return;
        if (index > Committed || index < Applied)
            throw new RaftInvariantException($"applied {index} out of range [prev applied {Applied}, committed {Committed}]");
        Applied = index;
    }

    public void StableTo(ulong index, ulong term)
    {
        var moved = Unstable.StableTo(index, term);
        if (moved.Count == 0) return;
        var first = moved[0].Index;
        if (first > StableLastIndex + 1) throw new RaftInvariantException($"stable log gap: {first} after {StableLastIndex}");
        var keep = (int)(first - _snapIndex - 1);
        if (keep < _stable.Count) _stable.RemoveRange(keep, _stable.Count - keep);
        _stable.AddRange(moved);
    }

    /// <summary>Entries in [lo, hi), at most <paramref name="maxCount"/> and about <paramref name="maxBytes"/> (always at least one).</summary>
    public List<Entry> Slice(ulong lo, ulong hi, int maxCount = int.MaxValue, long maxBytes = long.MaxValue)
    {
        if (lo < FirstIndex) throw new RaftInvariantException($"slice from {lo} is below first index {FirstIndex} (compacted)");
        if (hi > LastIndex + 1) throw new RaftInvariantException($"slice to {hi} is beyond last index {LastIndex}");
        var result = new List<Entry>();
        if (lo >= hi) return result;
        hi = Math.Min(hi, lo + (ulong)Math.Max(1, maxCount));
        long bytes = 0;
        for (var i = lo; i < hi; i++)
        {
            var e = i >= Unstable.Offset ? Unstable.Entries[(int)(i - Unstable.Offset)] : _stable[(int)(i - _snapIndex - 1)];
            bytes += e.Data.Length + 16;
            if (result.Count > 0 && bytes > maxBytes) break;
            result.Add(e);
        }
        return result;
    }

    /// <summary>
    /// Drops stable entries up to <paramref name="index"/> from memory (etcd's MemoryStorage.Compact); the
    /// journal still has them. Only applied, durable entries may go; the index becomes the new snapshot point.
    /// </summary>
    public void CompactTo(ulong index)
    {
        if (index <= _snapIndex) return;
        if (index > Applied) throw new RaftInvariantException($"compacting to {index} beyond applied {Applied}");
        if (index > StableLastIndex || index >= Unstable.Offset)
            throw new RaftInvariantException($"compacting to {index} beyond the stable log ({StableLastIndex})");
        var term = Term(index) ?? throw new RaftInvariantException($"no term for compaction index {index}");
        _stable.RemoveRange(0, (int)(index - _snapIndex));
        _snapIndex = index;
        _snapTerm = term;
    }

    /// <summary>
    /// Replaces the whole log by a snapshot received from the leader (etcd's raftLog.restore): every entry
    /// goes, the snapshot point becomes the first index, and everything up to it is committed and applied
    /// (the host installs the snapshot's data before it acknowledges the Ready).
    /// </summary>
    public void Restore(ulong index, ulong term)
    {
        if (index <= Committed) throw new RaftInvariantException($"restoring snapshot {index} at or below committed {Committed}");
        _stable.Clear();
        _snapIndex = index;
        _snapTerm = term;
        Unstable.Reset(index + 1);
        Committed = index;
        Applied = index;
    }

    public bool HasNextCommitted(ulong applying) => Committed > Math.Max(applying, _snapIndex);

    public List<Entry> NextCommitted(ulong applying) =>
        HasNextCommitted(applying) ? Slice(Math.Max(applying + 1, FirstIndex), Committed + 1) : [];

    public override string ToString() =>
        $"first={FirstIndex} last={LastIndex} stableLast={StableLastIndex} unstableOffset={Unstable.Offset} committed={Committed} applied={Applied}";
}
