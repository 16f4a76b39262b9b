using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;
using SortOrder = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcd.Api.Etcdserverpb.RangeRequest.Types.SortTarget;

namespace Etcd.Specs.Mvcc;

public class KvStoreRangeSpecs
{
    private static readonly ByteString Zero = ByteString.CopyFrom(0);

    /// <summary>
    /// rev 2: a=3, 3: b=1, 4: c=2, 5: b=9 (b version 2), 6: d=0, 7: d=5 (d version 2), 8: c=7 (c version 2), 9: d=4 (version 3)
    /// Final: a(c2,m2,v1,"3") b(c3,m5,v2,"9") c(c4,m8,v2,"7") d(c6,m9,v3,"4")
    /// </summary>
    private static KvStore Fixture()
    {
        var s = NewStore();
        s.Put("a", "3");
        s.Put("b", "1");
        s.Put("c", "2");
        s.Put("b", "9");
        s.Put("d", "0");
        s.Put("d", "5");
        s.Put("c", "7");
        s.Put("d", "4");
        return s;
    }

    private static RangeResponse All(KvStore s, Action<RangeRequest>? tweak = null)
    {
        var r = new RangeRequest { Key = Zero, RangeEnd = Zero };
        tweak?.Invoke(r);
        return s.Range(r).Unwrap();
    }

    [Fact]
    public void Limit_sets_more_and_count_is_the_whole_range()
    {
        var r = All(Fixture(), r => r.Limit = 2);
        Assert.Equal(new[] { "a", "b" }, r.Keys());
        Assert.True(r.More);
        Assert.Equal(4, r.Count);

        r = All(Fixture(), r => r.Limit = 4);
        Assert.False(r.More);
        Assert.Equal(4, r.Kvs.Count);
    }

    [Fact]
    public void Count_only_returns_no_kvs()
    {
        var r = All(Fixture(), r => r.CountOnly = true);
        Assert.Empty(r.Kvs);
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void Keys_only_drops_values_but_not_metadata_and_does_not_damage_the_store()
    {
        var s = Fixture();
        var r = All(s, r => r.KeysOnly = true);
        Assert.All(r.Kvs, kv => Assert.True(kv.Value.IsEmpty));
        Assert.Equal(3, r.Kvs[3].Version);
        Assert.Equal("4", s.Get("d")!.Value.ToStringUtf8());
    }

    [Theory]
    [InlineData(SortOrder.Ascend, SortTarget.Key, "a,b,c,d")]
    [InlineData(SortOrder.Descend, SortTarget.Key, "d,c,b,a")]
    [InlineData(SortOrder.Ascend, SortTarget.Version, "a,b,c,d")]
    [InlineData(SortOrder.Descend, SortTarget.Version, "d,b,c,a")] // b and c tie at version 2: ascending key order, as etcd
    [InlineData(SortOrder.Ascend, SortTarget.Create, "a,b,c,d")]
    [InlineData(SortOrder.Descend, SortTarget.Create, "d,c,b,a")]
    [InlineData(SortOrder.Ascend, SortTarget.Mod, "a,b,c,d")]
    [InlineData(SortOrder.Descend, SortTarget.Mod, "d,c,b,a")]
    [InlineData(SortOrder.Ascend, SortTarget.Value, "a,d,c,b")]
    [InlineData(SortOrder.Descend, SortTarget.Value, "b,c,d,a")]
    [InlineData(SortOrder.None, SortTarget.Value, "a,d,c,b")] // NONE with a non-key target means ASCEND
    [InlineData(SortOrder.None, SortTarget.Key, "a,b,c,d")]
    public void Sort_orders_and_targets(SortOrder order, SortTarget target, string expected)
    {
        var r = All(Fixture(), r =>
        {
            r.SortOrder = order;
            r.SortTarget = target;
        });
        Assert.Equal(expected, string.Join(",", r.Keys()));
    }

    [Fact]
    public void Sort_with_limit_sorts_the_whole_range_then_truncates()
    {
        var r = All(Fixture(), r =>
        {
            r.SortOrder = SortOrder.Descend;
            r.SortTarget = SortTarget.Mod;
            r.Limit = 1;
        });
        Assert.Equal(new[] { "d" }, r.Keys());
        Assert.True(r.More);
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void Sort_target_with_order_none_and_a_limit_sorts_only_the_fetched_keys()
    {
        // etcd quirk kept: the limit+1 keys are fetched in key order and only those are sorted by value.
        var r = All(Fixture(), r =>
        {
            r.SortTarget = SortTarget.Value;
            r.Limit = 2;
        });
        Assert.Equal(new[] { "a", "c" }, r.Keys()); // fetched a,b,c; by value: a(3) c(7) b(9)
        Assert.True(r.More);
    }

    [Fact]
    public void Min_and_max_filters_apply_after_count()
    {
        var s = Fixture();
        var r = All(s, r => r.MinModRevision = 5);
        Assert.Equal(new[] { "b", "c", "d" }, r.Keys());
        Assert.Equal(4, r.Count);
        Assert.Equal(new[] { "a", "b" }, All(s, r => r.MaxModRevision = 5).Keys());
        Assert.Equal(new[] { "c", "d" }, All(s, r => r.MinCreateRevision = 4).Keys());
        Assert.Equal(new[] { "a", "b" }, All(s, r => r.MaxCreateRevision = 3).Keys());
        Assert.Equal(new[] { "b", "c" }, All(s, r =>
        {
            r.MinCreateRevision = 3;
            r.MaxModRevision = 8;
        }).Keys());
    }

    [Fact]
    public void Filters_with_limit_fetch_everything_then_truncate()
    {
        var r = All(Fixture(), r =>
        {
            r.MinModRevision = 5;
            r.Limit = 1;
        });
        Assert.Equal(new[] { "b" }, r.Keys());
        Assert.True(r.More);
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void Range_at_an_old_revision_returns_the_old_versions_and_count()
    {
        var r = All(Fixture(), r => r.Revision = 5);
        Assert.Equal(new[] { "a", "b", "c" }, r.Keys());
        Assert.Equal("9", r.Kvs[1].Value.ToStringUtf8());
        Assert.Equal(3, r.Count);
    }

    [Fact]
    public void Prefix_and_from_key()
    {
        var s = NewStore();
        foreach (var k in new[] { "foo", "foo/a", "foo/b", "fop", "g" }) s.Put(k, "v");
        Assert.Equal(new[] { "foo/a", "foo/b" }, s.Range(new RangeRequest { Key = B("foo/"), RangeEnd = B("foo0") }).Unwrap().Keys());
        Assert.Equal(new[] { "fop", "g" }, s.Range(new RangeRequest { Key = B("fop"), RangeEnd = Zero }).Unwrap().Keys());
    }
}
