using Etcd.Actors.Raft;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class RecoveredLogSpecs
{
    private static Entry[] Entries(ulong from, ulong to, ulong term = 1) =>
        Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => new Entry { Index = (ulong)i, Term = term }).ToArray();

    private static SnapshotMetadata Snap(ulong index) => new() { Index = index, Term = 1, ConfState = new ConfState { Voters = { 1 } } };

    [Fact]
    public void An_empty_journal_is_empty_and_starts_at_one()
    {
        var log = new RecoveredLog("j");
        Assert.True(log.IsEmpty);
        Assert.Equal(0UL, log.LastIndex);
        Assert.Empty(log.Finish().Entries);
    }

    [Fact]
    public void A_truncation_marker_or_an_overlapping_batch_replaces_the_tail_and_the_latest_hard_state_wins()
    {
        var log = new RecoveredLog("j");
        log.Appended(Entries(1, 5), new HardState { Term = 1, Commit = 2 });
        log.TruncatedFrom(4);
        log.Appended(Entries(4, 6, term: 2), new HardState { Term = 2, Commit = 3 });
        log.Appended(Entries(6, 7, term: 3), null);
        log.HardStateSaved(new HardState { Term = 3, Vote = 9, Commit = 5 });
        var r = log.Finish();
        Assert.Equal([1UL, 2, 3, 4, 5, 6, 7], r.Entries.Select(e => e.Index));
        Assert.Equal([1UL, 1, 1, 2, 2, 3, 3], r.Entries.Select(e => e.Term));
        Assert.Equal((3UL, 9UL, 5UL), (r.HardState.Term, r.HardState.Vote, r.HardState.Commit));
        Assert.False(log.IsEmpty);
        Assert.Equal(7UL, log.LastIndex);
    }

    [Fact]
    public void A_gap_fails_loudly()
    {
        var log = new RecoveredLog("raft-x");
        log.Appended(Entries(1, 3), null);
        var e = Assert.Throws<RaftInvariantException>(() => log.Appended(Entries(5, 6), null));
        Assert.Contains("raft-x has a gap: expected index 4, found 5", e.Message);
    }

    [Fact]
    public void Our_own_snapshot_keeps_the_entries_after_it_and_the_compacted_journal_may_start_mid_batch()
    {
        var log = new RecoveredLog("j");
        // After compaction the first row kept straddles the snapshot index; its record comes after it.
        log.Appended(Entries(8, 12), null);
        log.SnapshotSaved(Snap(10));
        log.Appended(Entries(13, 14), null);
        var r = log.Finish();
        Assert.Equal([11UL, 12, 13, 14], r.Entries.Select(e => e.Index));
        Assert.Equal(10UL, r.Snapshot!.Index);
    }

    [Fact]
    public void The_leaders_snapshot_replaces_the_whole_log_even_beyond_it()
    {
        var log = new RecoveredLog("j");
        log.Appended(Entries(1, 20), null);
        log.SnapshotInstalled(Snap(10));
        Assert.Equal(10UL, log.LastIndex);
        log.Appended(Entries(11, 12, term: 2), null);
        Assert.Equal([11UL, 12], log.Finish().Entries.Select(e => e.Index));
    }

    [Fact]
    public void Entries_that_do_not_start_right_after_the_snapshot_fail_loudly()
    {
        var log = new RecoveredLog("raft-y");
        log.Appended(Entries(8, 12), null);
        var e = Assert.Throws<RaftInvariantException>(() => log.Finish());
        Assert.Contains("raft-y starts at index 8 but its snapshot covers only up to 0", e.Message);
    }
}
