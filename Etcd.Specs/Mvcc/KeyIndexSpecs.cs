using Etcd.Actors.Mvcc.Core;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Mvcc;

public class KeyIndexSpecs
{
    private static Revision R(long main, long sub = 0) => new(main, sub);

    /// <summary>etcd's key_index_test fixture: {2,4,6(t)} {8,10,12(t)} {14,14.1,16(t)} {}.</summary>
    private static KeyIndex Fixture()
    {
        var ki = new KeyIndex(ByteString.CopyFromUtf8("foo"));
        ki.Put(R(2));
        ki.Put(R(4));
        ki.Tombstone(R(6));
        ki.Put(R(8));
        ki.Put(R(10));
        ki.Tombstone(R(12));
        ki.Put(R(14));
        ki.Put(R(14, 1));
        ki.Tombstone(R(16));
        return ki;
    }

    [Theory]
    [InlineData(0, false, 0, 0, 0)]
    [InlineData(1, false, 0, 0, 0)]
    [InlineData(2, true, 2, 2, 1)]
    [InlineData(3, true, 2, 2, 1)]
    [InlineData(4, true, 4, 2, 2)]
    [InlineData(5, true, 4, 2, 2)]
    [InlineData(6, false, 0, 0, 0)]
    [InlineData(7, false, 0, 0, 0)]
    [InlineData(8, true, 8, 8, 1)]
    [InlineData(11, true, 10, 8, 2)]
    [InlineData(12, false, 0, 0, 0)]
    [InlineData(14, true, 14, 14, 2)]
    [InlineData(15, true, 14, 14, 2)]
    [InlineData(16, false, 0, 0, 0)]
    [InlineData(100, false, 0, 0, 0)]
    public void Get_finds_the_generation_alive_at_the_revision(long at, bool found, long mod, long created, long version)
    {
        var ki = Fixture();
        Assert.Equal(found, ki.TryGet(at, out var m, out var c, out var v));
        if (!found) return;
        Assert.Equal(mod, m.Main);
        Assert.Equal(created, c.Main);
        Assert.Equal(version, v);
    }

    [Fact]
    public void Get_at_14_sees_the_second_sub_revision()
    {
        Assert.True(Fixture().TryGet(14, out var m, out _, out var v));
        Assert.Equal(R(14, 1), m);
        Assert.Equal(2, v);
    }

    [Fact]
    public void Tombstone_ends_the_generation_and_starts_an_empty_one()
    {
        var ki = new KeyIndex(ByteString.CopyFromUtf8("k"));
        ki.Put(R(5));
        Assert.True(ki.Tombstone(R(7)));
        Assert.Equal(2, ki.Generations.Count);
        Assert.True(ki.Generations[1].IsEmpty);
        Assert.Equal(new[] { R(5), R(7) }, ki.Generations[0].Revisions);
        Assert.False(ki.Tombstone(R(8))); // not alive: nothing to delete
        Assert.Equal(R(7), ki.Modified);
    }

    [Fact]
    public void Put_with_an_older_revision_is_refused()
    {
        var ki = new KeyIndex(ByteString.CopyFromUtf8("k"));
        ki.Put(R(5));
        Assert.Throws<InvalidOperationException>(() => ki.Put(R(5)));
        Assert.Throws<InvalidOperationException>(() => ki.Put(R(4, 3)));
    }

    [Fact]
    public void Recreated_key_starts_at_version_one_with_a_new_create_revision()
    {
        var ki = new KeyIndex(ByteString.CopyFromUtf8("k"));
        ki.Put(R(2));
        ki.Put(R(3));
        ki.Tombstone(R(4));
        ki.Put(R(5));
        Assert.True(ki.TryGet(5, out _, out var created, out var version));
        Assert.Equal(5, created.Main);
        Assert.Equal(1, version);
    }

    public static TheoryData<long, long[][], long[]> CompactCases => new()
    {
        // atRev, remaining generations (mains; tombstones are last of all but the final one), removed mains
        { 1, [[2, 4, 6], [8, 10, 12], [14, 14, 16], []], [] },
        { 2, [[2, 4, 6], [8, 10, 12], [14, 14, 16], []], [] },
        { 3, [[2, 4, 6], [8, 10, 12], [14, 14, 16], []], [] },
        { 4, [[4, 6], [8, 10, 12], [14, 14, 16], []], [2] },
        { 5, [[4, 6], [8, 10, 12], [14, 14, 16], []], [2] },
        { 6, [[8, 10, 12], [14, 14, 16], []], [2, 4, 6] },
        { 7, [[8, 10, 12], [14, 14, 16], []], [2, 4, 6] },
        { 10, [[10, 12], [14, 14, 16], []], [2, 4, 6, 8] },
        { 12, [[14, 14, 16], []], [2, 4, 6, 8, 10, 12] },
        { 14, [[14, 16], []], [2, 4, 6, 8, 10, 12, 14] },
        { 15, [[14, 16], []], [2, 4, 6, 8, 10, 12, 14] },
        { 16, [[]], [2, 4, 6, 8, 10, 12, 14, 14, 16] },
    };

    [Theory]
    [MemberData(nameof(CompactCases))]
    public void Compact_keeps_the_latest_revision_at_or_below_and_drops_dead_generations(long at, long[][] expected, long[] removedMains)
    {
        var ki = Fixture();
        var removed = new List<Revision>();
        ki.Compact(at, removed);
        var actual = ki.Generations.Select(g => g.Revisions.Select(r => r.Main).ToArray()).ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal(removedMains, removed.Select(r => r.Main).ToArray());
        Assert.Equal(at >= 16, ki.IsEmpty);
    }

    [Fact]
    public void Compact_keeps_version_and_create_revision_of_the_surviving_generation()
    {
        var ki = Fixture();
        ki.Compact(15, new List<Revision>());
        Assert.True(ki.TryGet(15, out var mod, out var created, out var version));
        Assert.Equal(R(14, 1), mod);
        Assert.Equal(14, created.Main);
        Assert.Equal(2, version);
        Assert.False(ki.TryGet(16, out _, out _, out _));
    }

    [Fact]
    public void Compact_of_a_live_key_keeps_it_readable_at_and_after_the_compaction()
    {
        var ki = new KeyIndex(ByteString.CopyFromUtf8("k"));
        ki.Put(R(2));
        ki.Put(R(3));
        ki.Put(R(4));
        var removed = new List<Revision>();
        ki.Compact(3, removed);
        Assert.Equal(new[] { R(2) }, removed);
        Assert.True(ki.TryGet(3, out var mod, out _, out var version));
        Assert.Equal(R(3), mod);
        Assert.Equal(2, version);
        Assert.True(ki.TryGet(4, out _, out _, out var v4));
        Assert.Equal(3, v4);
    }

    [Fact]
    public void Restore_takes_creation_and_version_from_the_stored_key_value()
    {
        var ki = new KeyIndex(ByteString.CopyFromUtf8("k"));
        ki.Restore(R(3), R(9), 5);
        ki.Put(R(11));
        Assert.True(ki.TryGet(11, out _, out var created, out var version));
        Assert.Equal(3, created.Main);
        Assert.Equal(6, version);
        Assert.True(ki.TryGet(9, out _, out _, out var v9));
        Assert.Equal(5, v9);
    }
}
