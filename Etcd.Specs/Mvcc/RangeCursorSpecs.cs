using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;
using SortOrder = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// Range reads in steps (KvStore.BeginRange, RangeCursor): whatever is written, deleted or compacted between two
/// steps, the answer is the one a single read at the moment the range began gave, and a compaction that would
/// delete what an open range still reads waits for it.
/// </summary>
public sealed class RangeCursorSpecs
{
    private static readonly ByteString Zero = ByteString.CopyFrom(0);
    private ulong _index;

    /// <summary>40 keys k00..k39, each put twice (the second with value v2-i), committed.</summary>
    private KvStore Filled()
    {
        var s = NewStore();
        for (var i = 0; i < 40; i++) s.Put($"k{i:00}", $"v1-{i}");
        for (var i = 0; i < 40; i += 3) s.Put($"k{i:00}", $"v2-{39 - i}");
        s.Commit(++_index);
        return s;
    }

    private static IEnumerable<RangeRequest> Requests()
    {
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero };
        yield return new RangeRequest { Key = B("k05"), RangeEnd = B("k31") };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, Limit = 17 };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, KeysOnly = true };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, CountOnly = true };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, SortOrder = SortOrder.Descend, SortTarget = SortTarget.Value, Limit = 9 };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, SortTarget = SortTarget.Mod };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, MinModRevision = 30, Limit = 5 };
        yield return new RangeRequest { Key = Zero, RangeEnd = Zero, MaxCreateRevision = 20, SortOrder = SortOrder.Ascend, SortTarget = SortTarget.Create };
    }

    /// <summary>Writes between two steps: new keys, overwrites, deletions, and a compaction at the read's revision.</summary>
    private void WriteBetweenSteps(KvStore s, int step, long readRevision)
    {
        switch (step % 4)
        {
            case 0:
                s.Put($"k{step % 40:00}", $"later-{step}");
                break;
            case 1:
                s.Put($"k{step % 40:00}x", "new");
                break;
            case 2:
                s.Delete($"k{(step * 7) % 40:00}");
                break;
            default:
                if (s.CompactedRevision < readRevision) s.Compact(readRevision).Unwrap();
                break;
        }
        s.Commit(++_index);
        if (s.CompactionPending && !s.CompactionHeldByReads) s.FinishCompaction(limit: 7);
    }

    [Fact]
    public void A_range_read_in_steps_answers_as_a_single_read_at_its_start_whatever_is_written_between_steps()
    {
        foreach (var request in Requests())
        {
            var s = Filled();
            var expected = s.Range(request).Unwrap();
            var startRevision = s.CurrentRevision;

            var cursor = s.BeginRange(request, stepRows: 3).Unwrap();
            Assert.Equal(startRevision, cursor.ReadRevision);
            Assert.Equal(startRevision, cursor.HeaderRevision);
            var steps = 0;
            while (!cursor.Done)
            {
                WriteBetweenSteps(s, steps, cursor.ReadRevision);
                cursor.Step(3);
                steps++;
            }
            var actual = cursor.Finish();

            Assert.Equal(expected, actual);
            Assert.Equal(0, s.OpenRanges);
            if (request.CountOnly) continue;
            Assert.True(steps > 0, $"{request} was read in one step");
            Assert.True(s.CurrentRevision > startRevision, "the spec wrote between the steps");
        }
    }

    [Fact]
    public void A_range_that_fits_one_step_is_answered_at_once_and_holds_nothing()
    {
        var s = Filled();
        var cursor = s.BeginRange(new RangeRequest { Key = B("k01"), RangeEnd = B("k04") }, stepRows: 3).Unwrap();
        Assert.True(cursor.Done);
        Assert.Equal(0, s.OpenRanges);
        Assert.Equal(["k01", "k02", "k03"], cursor.Finish().Keys());
    }

    [Fact]
    public void A_compaction_above_an_open_range_waits_until_the_range_is_finished()
    {
        var s = Filled();
        var cursor = s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, stepRows: 5).Unwrap();
        var readRevision = cursor.ReadRevision;
        // Every key gets a newer revision, then history is compacted above the read: every revision the read
        // still needs is one the compaction would delete.
        for (var i = 0; i < 40; i++) s.Put($"k{i:00}", "newer");
        s.Commit(++_index);
        s.Compact(s.CurrentRevision).Unwrap();
        s.Commit(++_index);

        Assert.True(s.CompactionPending);
        Assert.True(s.CompactionHeldByReads);
        Assert.Throws<InvalidOperationException>(() => s.CompactNextBatch(100));

        while (!cursor.Done) cursor.Step(5);
        var response = cursor.Finish();
        Assert.Equal(40, response.Kvs.Count);
        Assert.All(response.Kvs, kv => Assert.True(kv.ModRevision <= readRevision));
        Assert.DoesNotContain(response.Kvs, kv => kv.Value.ToStringUtf8() == "newer");

        Assert.False(s.CompactionHeldByReads);
        s.FinishCompaction();
        Assert.False(s.CompactionPending);
    }

    [Fact]
    public void Closing_an_open_range_lets_the_compaction_go_on()
    {
        var s = Filled();
        var cursor = s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, stepRows: 5).Unwrap();
        s.Put("k00", "newer");
        s.Commit(++_index);
        s.Compact(s.CurrentRevision).Unwrap();
        s.Commit(++_index);
        Assert.True(s.CompactionHeldByReads);

        cursor.Close();
        Assert.Equal(0, s.OpenRanges);
        Assert.False(s.CompactionHeldByReads);
        s.FinishCompaction();
    }

    [Fact]
    public void A_range_cannot_begin_inside_an_uncommitted_write_nor_step_after_it_is_finished()
    {
        var s = Filled();
        s.Put("a", "b");
        Assert.Throws<InvalidOperationException>(() => s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, 5));
        s.Commit(++_index);
        var cursor = s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, 100).Unwrap();
        cursor.Finish();
        Assert.Throws<InvalidOperationException>(() => cursor.Step(1));
        Assert.Throws<InvalidOperationException>(() => cursor.Finish());
    }

    [Fact]
    public void A_later_compaction_that_raises_the_target_above_an_open_range_is_held()
    {
        var s = Filled();
        var cursor = s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, stepRows: 5).Unwrap();
        // At the read's own revision: nothing it needs goes, so it is not held.
        s.Compact(cursor.ReadRevision).Unwrap();
        s.Commit(++_index);
        Assert.False(s.CompactionHeldByReads);
        s.Put("k00", "newer");
        s.Commit(++_index);
        s.Compact(s.CurrentRevision).Unwrap();
        s.Commit(++_index);
        Assert.True(s.CompactionHeldByReads);
        while (!cursor.Done) cursor.Step(5);
        Assert.Equal(40, cursor.Finish().Kvs.Count);
        s.FinishCompaction();
    }

    [Fact]
    public void A_range_one_step_answers_is_read_at_once_and_a_larger_one_is_left_unbegun_holding_nothing()
    {
        var s = Filled();
        var small = s.RangeInOneStep(new RangeRequest { Key = B("k05"), RangeEnd = B("k10") }, stepRows: 5);
        Assert.NotNull(small);
        var cursor = small.Value.Unwrap();
        Assert.True(cursor.Done);
        Assert.Equal(["k05", "k06", "k07", "k08", "k09"], cursor.Finish().Kvs.Select(kv => kv.Key.ToStringUtf8()));

        // Six keys need two steps of five: nothing is read, nothing is open, and a compaction is not held by it.
        Assert.Null(s.RangeInOneStep(new RangeRequest { Key = B("k05"), RangeEnd = B("k11") }, stepRows: 5));
        Assert.Equal(0, s.OpenRanges);
        Assert.True(s.ScratchCapacity < KvStore.ScratchKeep, $"after a declined range: {s.ScratchCapacity}");
        // A limit counts as RangeCursor counts it: six keys limited to five is one step; sorted, all six are read.
        Assert.NotNull(s.RangeInOneStep(new RangeRequest { Key = B("k05"), RangeEnd = B("k11"), Limit = 5 }, stepRows: 5));
        Assert.Null(s.RangeInOneStep(new RangeRequest { Key = B("k05"), RangeEnd = B("k11"), Limit = 5, SortOrder = SortOrder.Descend }, stepRows: 5));
        s.Put("k00", "newer");
        s.Commit(++_index);
        s.Compact(s.CurrentRevision).Unwrap();
        s.Commit(++_index);
        Assert.False(s.CompactionHeldByReads);

        // Its errors are the range's own.
        var future = s.RangeInOneStep(new RangeRequest { Key = Zero, RangeEnd = Zero, Revision = s.CurrentRevision + 1 }, 5);
        Assert.NotNull(future);
        Assert.False(future.Value.IsOk);
    }
    [Fact]
    public void A_range_in_key_order_read_as_bytes_gives_the_same_key_values_and_its_response_holds_none_while_a_sorted_or_filtered_one_keeps_objects()
    {
        var pool = new KvChunkPool(256, maxKept: 100);
        foreach (var request in Requests())
        {
            var s = Filled();
            var expected = s.Range(request).Unwrap();
            var cursor = s.BeginRange(request, stepRows: 3).Unwrap();
            if (cursor.Done)
            {
                // Count only: answered at once, nothing to encode.
                Assert.True(request.CountOnly);
                continue;
            }
            var encoded = new EncodedKvs(pool, 256);
            var inKeyOrder = request.SortOrder == SortOrder.None && request.SortTarget == SortTarget.Key && request.MinModRevision == 0 && request.MaxCreateRevision == 0;
            Assert.Equal(inKeyOrder, cursor.EncodeTo(encoded));
            var steps = 0;
            while (!cursor.Done)
            {
                WriteBetweenSteps(s, steps++, cursor.ReadRevision);
                cursor.Step(3);
            }
            var actual = cursor.Finish();
            if (!inKeyOrder)
            {
                Assert.Null(cursor.Encoded);
                Assert.Equal(expected, actual);
                Assert.Equal(0, encoded.Count);
                continue;
            }
            Assert.Same(encoded, cursor.Encoded);
            Assert.Empty(actual.Kvs);
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected.More, actual.More);
            Assert.Equal(expected.Kvs.Count, encoded.Count);
            // The bytes parse back into the key-values a single read gave.
            var bytes = new System.Buffers.ArrayBufferWriter<byte>();
            encoded.WriteTo(bytes);
            Assert.Equal(expected.Kvs, RangeResponse.Parser.ParseFrom(bytes.WrittenSpan.ToArray()).Kvs);
            encoded.Release();
            Assert.Equal(0, encoded.Chunks);
        }
    }

    [Fact]
    public void An_abandoned_range_gives_its_encoded_rows_back_and_a_finished_one_keeps_them_for_its_response()
    {
        var pool = new KvChunkPool(256, maxKept: 100);
        var s = Filled();
        var abandoned = s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, stepRows: 5).Unwrap();
        var encoded = new EncodedKvs(pool, 256);
        Assert.True(abandoned.EncodeTo(encoded));
        abandoned.Step(5);
        Assert.True(encoded.Chunks > 0);
        abandoned.Close();
        Assert.Equal(0, encoded.Chunks);
        Assert.True(pool.Kept > 0);
        Assert.Equal(0, s.OpenRanges);

        var finished = s.BeginRange(new RangeRequest { Key = Zero, RangeEnd = Zero }, stepRows: 5).Unwrap();
        var kept = new EncodedKvs(pool, 256);
        Assert.True(finished.EncodeTo(kept));
        while (!finished.Done) finished.Step(5);
        finished.Finish();
        finished.Close();
        Assert.Equal(40, kept.Count);
        Assert.True(kept.Chunks > 0);
        Assert.Throws<InvalidOperationException>(() => finished.EncodeTo(new EncodedKvs(pool, 256)));
    }
}
