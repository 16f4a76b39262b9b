using Etcd.Actors.Raft;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

public sealed class JournalWriteSpecs
{
    private static readonly HardState Hard = new() { Term = 3, Vote = 1, Commit = 7 };

    [Fact]
    public void A_ready_whose_only_news_is_the_commit_index_writes_nothing()
    {
        var rd = new Ready { HardState = Hard, CommittedEntries = [E(7, 3)], MustSync = false };
        Assert.Empty(JournalWrite.Events(rd, null, Hard, lastDurableIndex: 7));
        Assert.Empty(JournalWrite.Events(null, null, Hard, 7));
    }

    [Fact]
    public void A_term_or_vote_change_alone_is_one_hard_state_row_and_entries_carry_it_in_their_own_row()
    {
        var vote = JournalWrite.Events(new Ready { HardState = Hard, MustSync = true }, null, Hard, 7);
        Assert.Equal(Hard, Assert.IsType<HardStateSaved>(Assert.Single(vote)).State);

        var append = JournalWrite.Events(new Ready { Entries = [E(8, 3), E(9, 3)], MustSync = true }, null, Hard, 7);
        var row = Assert.IsType<EntriesAppended>(Assert.Single(append));
        Assert.Equal([8UL, 9], row.Entries.Select(e => e.Index));
        Assert.Equal(Hard, row.State);
    }

    [Fact]
    public void Entries_that_overwrite_the_journal_cut_it_in_the_same_write_and_a_snapshot_record_brings_its_hard_state()
    {
        var save = new SnapshotMetadata { Index = 5, Term = 2 };
        var events = JournalWrite.Events(new Ready { Entries = [E(6, 3)], MustSync = true }, save, Hard, lastDurableIndex: 7);
        Assert.Collection(events,
            e => Assert.Equal(5UL, Assert.IsType<SnapshotSaved>(e).Metadata.Index),
            e => Assert.Equal(Hard, Assert.IsType<HardStateSaved>(e).State),
            e => Assert.Equal(6UL, Assert.IsType<LogTruncatedFrom>(e).Index),
            e => Assert.Equal(Hard, Assert.IsType<EntriesAppended>(e).State));
        // A vote change with the record needs no second hard state row.
        Assert.Equal(2, JournalWrite.Events(new Ready { HardState = Hard, MustSync = true }, save, Hard, 7).Count);
    }

    [Fact]
    public void An_installed_snapshot_is_followed_by_the_hard_state_and_entries_after_it_cut_nothing_older()
    {
        var installed = new SnapshotMetadata { Index = 20, Term = 3 };
        var alone = JournalWrite.Events(new Ready { Snapshot = installed, MustSync = true }, null, Hard, lastDurableIndex: 7);
        Assert.Collection(alone, e => Assert.IsType<SnapshotInstalled>(e), e => Assert.Equal(Hard, Assert.IsType<HardStateSaved>(e).State));
        var withEntries = JournalWrite.Events(new Ready { Snapshot = installed, Entries = [E(21, 3)], MustSync = true }, null, Hard, 7);
        Assert.Collection(withEntries, e => Assert.IsType<SnapshotInstalled>(e), e => Assert.Equal(Hard, Assert.IsType<EntriesAppended>(e).State));
    }
}
