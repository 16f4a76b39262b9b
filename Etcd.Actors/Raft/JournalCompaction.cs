namespace Etcd.Actors.Raft;

/// <summary>
/// Which journal rows may be deleted, kept apart from RaftActor (no Akka: the caller passes sequence numbers and
/// deletes what it is told). It knows the rows that hold entries (with the highest index in each), where the
/// last snapshot records were written, and how far rows were deleted. After our own snapshot, rows up to (not
/// including) the first that still holds an entry after the snapshot go, and never the record itself; after the
/// leader's snapshot, every row before its record goes (they belong to the log it replaced).
/// </summary>
internal sealed class JournalCompaction
{
    private readonly List<(long SeqNr, ulong MaxIndex)> _rows = [];
    private long _installedSeqNr;
    private long _savedSeqNr;

    /// <summary>Rows up to here were deleted (or their deletion asked for); 0 after a failed deletion.</summary>
    public long DeletedTo { get; private set; }

    /// <summary>Rows known to hold entries and not deleted yet.</summary>
    public int Rows => _rows.Count;

    /// <summary>The row at <paramref name="seqNr"/> holds entries up to <paramref name="maxIndex"/> (written or replayed).</summary>
    public void EntriesWritten(long seqNr, ulong maxIndex) => _rows.Add((seqNr, maxIndex));

    /// <summary>A SnapshotSaved record was written at <paramref name="seqNr"/>.</summary>
    public void SnapshotRecordWritten(long seqNr) => _savedSeqNr = seqNr;

    /// <summary>Replay met the leader's snapshot at <paramref name="seqNr"/>: the rows before it are not ours to keep.</summary>
    public void Installed(long seqNr)
    {
        _installedSeqNr = seqNr;
        _rows.RemoveAll(x => x.SeqNr < seqNr);
    }

    /// <summary>The leader's snapshot was written at <paramref name="seqNr"/>; returns how far to delete, if further than before.</summary>
    public long? InstalledWritten(long seqNr)
    {
        Installed(seqNr);
        return DeleteTo(seqNr - 1);
    }

    /// <summary>Our own snapshot at <paramref name="index"/> is durable; returns how far to delete, if further than before.</summary>
    public long? SnapshotDurable(ulong index)
    {
        var to = _savedSeqNr - 1;
        foreach (var (seq, maxIndex) in _rows)
        {
            if (seq <= _installedSeqNr || maxIndex <= index) continue;
            to = Math.Min(to, seq - 1);
            break;
        }
        return DeleteTo(to);
    }

    /// <summary>Not fatal: the rows stay until the next snapshot deletes further.</summary>
    public void DeleteFailed() => DeletedTo = 0;

    private long? DeleteTo(long to)
    {
        if (to <= DeletedTo) return null;
        DeletedTo = to;
        _rows.RemoveAll(x => x.SeqNr <= to);
        return to;
    }
}
