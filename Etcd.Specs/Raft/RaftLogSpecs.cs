using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

public class RaftLogSpecs
{
    private static RaftLog Log(ulong commit, params Entry[] entries) =>
        new(new RaftRecoveredState(new HardState { Term = entries.Length > 0 ? entries[^1].Term : 0, Commit = commit }, entries));

    [Fact]
    public void Compaction_forgets_applied_entries_but_keeps_terms_at_the_new_first_index()
    {
        var log = Log(4, E(1, 1), E(2, 1), E(3, 2), E(4, 2), E(5, 3));
        Assert.Throws<RaftInvariantException>(() => log.CompactTo(2)); // nothing applied yet
        log.AppliedTo(4);
        log.CompactTo(3);
        Assert.Equal(4UL, log.FirstIndex);
        Assert.Equal(2UL, log.Term(3));   // the compaction point keeps its term for MsgApp matching
        Assert.Null(log.Term(2));
        Assert.Equal(5UL, log.LastIndex);
        Assert.Equal(3UL, log.Term(5));
        Assert.Throws<RaftInvariantException>(() => log.CompactTo(5)); // beyond applied
    }

    [Fact]
    public void Recovered_entries_are_stable_and_nothing_is_unstable()
    {
        var log = Log(2, E(1, 1), E(2, 1), E(3, 2));
        Assert.Equal(3UL, log.LastIndex);
        Assert.Equal(2UL, log.LastTerm);
        Assert.Equal(2UL, log.Committed);
        Assert.Empty(log.Unstable.Entries);
        Assert.Equal(4UL, log.Unstable.Offset);
    }

    [Fact]
    public void A_recovered_log_with_a_gap_is_refused()
    {
        Assert.Throws<RaftInvariantException>(() => Log(0, E(1, 1), E(3, 1)));
    }

    [Fact]
    public void A_recovered_commit_beyond_the_log_is_refused()
    {
        Assert.Throws<RaftInvariantException>(() => Log(5, E(1, 1)));
    }

    [Fact]
    public void Conflicting_entries_truncate_the_stable_suffix_through_the_unstable_log()
    {
        var log = Log(1, E(1, 1), E(2, 1), E(3, 1));
        var last = log.MaybeAppend(1, 1, 1, [E(2, 2, "x"), E(3, 2, "y")]);
        Assert.Equal(3UL, last);
        Assert.Equal(2UL, log.Term(2));
        Assert.Equal(2UL, log.Term(3));
        // The replacement starts inside the stable part: the host must persist a truncation marker.
        Assert.Equal(2UL, log.Unstable.Offset);
        Assert.True(log.Unstable.Offset <= log.StableLastIndex);

        log.StableTo(3, 2);
        Assert.Empty(log.Unstable.Entries);
        Assert.Equal(3UL, log.StableLastIndex);
        Assert.Equal(2UL, log.Term(3));
    }

    [Fact]
    public void A_shorter_conflicting_append_hides_the_old_stable_tail()
    {
        var log = Log(1, E(1, 1), E(2, 1), E(3, 1), E(4, 1));
        log.MaybeAppend(1, 1, 1, [E(2, 3)]);
        Assert.Equal(2UL, log.LastIndex);
        Assert.Null(log.Term(3));
        log.StableTo(2, 3);
        Assert.Equal(2UL, log.StableLastIndex);
        Assert.Null(log.Term(4));
    }

    [Fact]
    public void Unstable_truncate_in_the_middle_replaces_the_suffix()
    {
        var u = new UnstableLog(5);
        u.TruncateAndAppend([E(5, 1), E(6, 1), E(7, 1)]);
        u.TruncateAndAppend([E(6, 2), E(7, 2), E(8, 2)]);
        Assert.Equal([1UL, 2, 2, 2], u.Entries.Select(e => e.Term));
        Assert.Equal(8UL, u.MaybeLastIndex);
        u.TruncateAndAppend([E(4, 3)]);
        Assert.Equal(4UL, u.Offset);
        Assert.Single(u.Entries);
    }

    [Fact]
    public void Stable_to_ignores_an_entry_that_was_replaced_meanwhile()
    {
        var u = new UnstableLog(1);
        u.TruncateAndAppend([E(1, 1), E(2, 1)]);
        u.TruncateAndAppend([E(2, 2)]);
        Assert.Empty(u.StableTo(2, 1));
        Assert.Equal(1UL, u.Offset);
        Assert.Equal(2, u.StableTo(2, 2).Count);
        Assert.Equal(3UL, u.Offset);
    }

    [Fact]
    public void A_mismatching_previous_entry_rejects_the_append()
    {
        var log = Log(0, E(1, 1), E(2, 1));
        Assert.Null(log.MaybeAppend(2, 2, 0, [E(3, 2)]));
        Assert.Null(log.MaybeAppend(5, 1, 0, [E(6, 1)]));
        Assert.Equal(2UL, log.LastIndex);
    }

    [Fact]
    public void A_conflict_with_a_committed_entry_throws()
    {
        var log = Log(2, E(1, 1), E(2, 1), E(3, 1));
        Assert.Throws<RaftInvariantException>(() => log.MaybeAppend(1, 1, 2, [E(2, 2)]));
    }

    [Fact]
    public void Appending_below_commit_throws()
    {
        var log = Log(2, E(1, 1), E(2, 1));
        Assert.Throws<RaftInvariantException>(() => log.Append([E(2, 2)]));
    }

    [Fact]
    public void Commit_never_goes_backwards_and_never_beyond_the_log()
    {
        var log = Log(2, E(1, 1), E(2, 1), E(3, 1));
        log.CommitTo(1);
        Assert.Equal(2UL, log.Committed);
        Assert.Throws<RaftInvariantException>(() => log.CommitTo(4));
    }

    [Fact]
    public void Only_an_entry_of_the_given_term_is_committed_by_counting()
    {
        var log = Log(0, E(1, 1), E(2, 2));
        Assert.False(log.MaybeCommit(1, 2));
        Assert.Equal(0UL, log.Committed);
        Assert.True(log.MaybeCommit(2, 2));
        Assert.Equal(2UL, log.Committed);
    }

    [Fact]
    public void Up_to_date_compares_last_term_then_length()
    {
        var log = Log(0, E(1, 1), E(2, 2));
        Assert.True(log.IsUpToDate(1, 3));
        Assert.True(log.IsUpToDate(2, 2));
        Assert.False(log.IsUpToDate(1, 2));
        Assert.False(log.IsUpToDate(5, 1));
    }

    [Fact]
    public void Slice_respects_count_and_byte_limits_but_returns_at_least_one()
    {
        var log = Log(0, E(1, 1, new string('a', 100)), E(2, 1, new string('b', 100)), E(3, 1, "c"));
        Assert.Equal(2, log.Slice(1, 4, maxCount: 2).Count);
        Assert.Single(log.Slice(1, 4, maxBytes: 10));
        Assert.Equal(3, log.Slice(1, 4).Count);
    }
}
