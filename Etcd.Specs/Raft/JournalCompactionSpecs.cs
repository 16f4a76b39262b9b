using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class JournalCompactionSpecs
{
    [Fact]
    public void Our_snapshot_deletes_up_to_the_first_row_that_still_holds_an_entry_after_it()
    {
        var c = new JournalCompaction();
        c.EntriesWritten(1, 5);
        c.EntriesWritten(2, 9);
        c.EntriesWritten(3, 12); // straddles the snapshot at 10: kept, with everything after it
        c.EntriesWritten(4, 15);
        c.SnapshotRecordWritten(6);
        Assert.Equal(2L, c.SnapshotDurable(10));
        Assert.Equal(2L, c.DeletedTo);
        Assert.Equal(2, c.Rows);
    }

    [Fact]
    public void Our_snapshot_never_deletes_its_own_record_nor_asks_twice_for_the_same_rows()
    {
        var c = new JournalCompaction();
        c.EntriesWritten(1, 5);
        c.EntriesWritten(2, 9);
        c.SnapshotRecordWritten(3);
        Assert.Equal(2L, c.SnapshotDurable(9));
        // Nothing new written since: nothing further to delete.
        Assert.Null(c.SnapshotDurable(9));
        c.EntriesWritten(4, 20);
        c.SnapshotRecordWritten(5);
        Assert.Equal(4L, c.SnapshotDurable(20));
    }

    [Fact]
    public void The_leaders_snapshot_deletes_every_row_before_its_record_and_later_snapshots_ignore_them()
    {
        var c = new JournalCompaction();
        c.EntriesWritten(1, 50); // a tail the leader's snapshot replaced
        c.EntriesWritten(2, 60);
        Assert.Equal(2L, c.InstalledWritten(3));
        Assert.Equal(0, c.Rows);
        c.EntriesWritten(4, 12);
        c.EntriesWritten(5, 14);
        c.SnapshotRecordWritten(6);
        Assert.Equal(4L, c.SnapshotDurable(12));
    }

    [Fact]
    public void A_failed_deletion_is_asked_for_again_by_the_next_snapshot()
    {
        var c = new JournalCompaction();
        c.EntriesWritten(1, 5);
        c.SnapshotRecordWritten(2);
        Assert.Equal(1L, c.SnapshotDurable(5));
        c.DeleteFailed();
        Assert.Equal(0L, c.DeletedTo);
        c.SnapshotRecordWritten(3);
        Assert.Equal(2L, c.SnapshotDurable(5));
    }

    [Fact]
    public void A_replayed_install_drops_older_rows_without_deleting()
    {
        var c = new JournalCompaction();
        c.EntriesWritten(1, 50);
        c.Installed(2);
        Assert.Equal(0, c.Rows);
        Assert.Equal(0L, c.DeletedTo);
        c.EntriesWritten(3, 12);
        c.SnapshotRecordWritten(4);
        // Rows at or before the install's record never bound our snapshot's deletion.
        Assert.Equal(3L, c.SnapshotDurable(12));
    }
}
