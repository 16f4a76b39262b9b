using Etcd.Actors.Raft;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class ProposalBatcherSpecs
{
    private static PendingProposal P(ulong id, int bytes = 1) => new(id, ByteString.CopyFrom(new byte[bytes]), 0, 0, 0);

    [Fact]
    public void Flow_control_refuses_beyond_the_queue_bound_or_when_the_store_lags_and_changes_nothing()
    {
        var b = new ProposalBatcher(maxPending: 2, maxCommittedUnapplied: 5, maxBatchEntries: 10, maxBatchBytes: 100);
        Assert.False(b.TryEnqueue(P(1), commitIndex: 16, appliedIndex: 10)); // 6 committed and not applied
        Assert.Equal(0, b.Count);
        Assert.True(b.TryEnqueue(P(1), commitIndex: 15, appliedIndex: 10));
        Assert.True(b.TryEnqueue(P(2), commitIndex: 15, appliedIndex: 10));
        Assert.False(b.TryEnqueue(P(3), commitIndex: 15, appliedIndex: 10));
        Assert.Equal([1UL, 2], b.TakeAll().Select(p => p.Id));
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void A_batch_is_bounded_in_entries_and_bytes_but_always_takes_one_and_keeps_the_order()
    {
        var b = new ProposalBatcher(maxPending: 10, maxCommittedUnapplied: 100, maxBatchEntries: 3, maxBatchBytes: 10);
        foreach (var (id, bytes) in new (ulong, int)[] { (1, 4), (2, 4), (3, 4), (4, 20), (5, 1), (6, 1), (7, 1), (8, 1) })
            Assert.True(b.TryEnqueue(P(id, bytes), 0, 0));
        var batches = new List<ulong[]>();
        while (b.Count > 0)
        {
            var size = b.NextBatch().Count;
            var taken = b.TakeBatch();
            Assert.Equal(size, taken.Length);
            batches.Add(taken.Select(p => p.Id).ToArray());
        }
        // 4+4 fits 10 bytes, a third 4 does not; 20 bytes alone exceeds the bound but goes alone; then 3 entries at most.
        Assert.Equal([[1UL, 2], [3], [4], [5, 6, 7], [8]], batches);
        Assert.Equal(8, b.Proposed);
    }

    [Fact]
    public void A_batch_the_core_refused_stays_queued_for_the_next_leader()
    {
        var b = new ProposalBatcher(maxPending: 10, maxCommittedUnapplied: 100, maxBatchEntries: 3, maxBatchBytes: 100);
        b.TryEnqueue(P(1), 0, 0);
        b.TryEnqueue(P(2), 0, 0);
        Assert.Equal(2, b.NextBatch().Count); // the core refuses it: TakeBatch is not called
        Assert.Equal(2, b.Count);
        Assert.Equal(0, b.Proposed);
        Assert.Equal([1UL, 2], b.TakeAll().Select(p => p.Id));
    }

    [Fact]
    public void Proposals_bound_to_another_leadership_term_are_dropped_and_the_rest_keep_their_order()
    {
        var b = new ProposalBatcher(maxPending: 10, maxCommittedUnapplied: 100, maxBatchEntries: 10, maxBatchBytes: 100);
        var bound = (ulong id, ulong term) => new PendingProposal(id, ByteString.CopyFrom(new byte[1]), 0, 0, 0, term);
        foreach (var p in new[] { P(1), bound(2, 3), bound(3, 4), P(4), bound(5, 3) }) Assert.True(b.TryEnqueue(p, 0, 0));
        Assert.Equal([2UL, 5], b.DropTermBound(4).Select(p => p.Id));
        Assert.Equal(3, b.NextBatch().Count);
        Assert.Equal([1UL, 3, 4], b.TakeBatch().Select(p => p.Id));
        // Nothing bound is left: nothing to drop at any term.
        Assert.Empty(b.DropTermBound(9));
    }
}
