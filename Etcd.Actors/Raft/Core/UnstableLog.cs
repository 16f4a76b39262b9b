using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Entries not yet durable: the tail of the log starting at <see cref="Offset"/>. A conflicting append
/// may move Offset below the stable last index; the host then persists a truncation marker.
/// </summary>
public sealed class UnstableLog(ulong offset)
{
    private List<Entry> _entries = [];

    public ulong Offset { get; private set; } = offset;
    public IReadOnlyList<Entry> Entries => _entries;

    public ulong? MaybeLastIndex => _entries.Count == 0 ? null : Offset + (ulong)_entries.Count - 1;

    public ulong? MaybeTerm(ulong index)
    {
        if (index < Offset || _entries.Count == 0) return null;
        var last = Offset + (ulong)_entries.Count - 1;
        return index > last ? null : _entries[(int)(index - Offset)].Term;
    }

    /// <summary>
    /// Marks entries up to <paramref name="index"/> as durable if the entry there still has
    /// <paramref name="term"/> (a later truncation may have replaced it while the write was in flight).
    /// Returns the entries that became stable, for the stable store to take over.
    /// </summary>
    public IReadOnlyList<Entry> StableTo(ulong index, ulong term)
    {
        if (MaybeTerm(index) != term) return [];
        var n = (int)(index - Offset + 1);
        var moved = _entries.GetRange(0, n);
        _entries.RemoveRange(0, n);
        Offset = index + 1;
        return moved;
    }

    /// <summary>Drops every unstable entry; the log continues at <paramref name="offset"/> (after a snapshot).</summary>
    public void Reset(ulong offset)
    {
        _entries = [];
        Offset = offset;
    }

    public void TruncateAndAppend(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0) return;
        var first = entries[0].Index;
        var end = Offset + (ulong)_entries.Count;
        if (first == end)
        {
            _entries.AddRange(entries);
        }
        else if (first <= Offset)
        {
            // Replaces everything unstable, and possibly a suffix of the stable log too.
            Offset = first;
            _entries = [.. entries];
        }
        else
        {
            // first is inside the unstable tail: keep [Offset, first) and replace the rest.
            if (first > end) throw new RaftInvariantException($"gap in unstable log: appending {first} after {end - 1}");
            _entries.RemoveRange((int)(first - Offset), (int)(end - first));
            _entries.AddRange(entries);
        }
    }

    public void Slice(ulong lo, ulong hi, List<Entry> into)
    {
        if (lo < Offset || hi > Offset + (ulong)_entries.Count)
            throw new RaftInvariantException($"unstable slice [{lo},{hi}) out of bound [{Offset},{Offset + (ulong)_entries.Count})");
        for (var i = lo; i < hi; i++) into.Add(_entries[(int)(i - Offset)]);
    }
}
