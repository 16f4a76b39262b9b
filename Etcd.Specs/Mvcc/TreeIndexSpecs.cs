using Etcd.Actors.Mvcc.Core;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Mvcc;

public class TreeIndexSpecs
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);
    private static readonly ByteString Unbounded = ByteString.Empty;

    /// <summary>Keys a, ab, b, c\xff, d at revisions 2..6; "b" deleted at 7.</summary>
    private static TreeIndex Fixture()
    {
        var t = new TreeIndex();
        t.Put(B("b"), new Revision(4, 0));
        t.Put(B("a"), new Revision(2, 0));
        t.Put(ByteString.CopyFrom(0x63, 0xff), new Revision(5, 0));
        t.Put(B("ab"), new Revision(3, 0));
        t.Put(B("d"), new Revision(6, 0));
        t.Tombstone(B("b"), new Revision(7, 0));
        return t;
    }

    private static string[] Keys(TreeIndex t, ByteString key, ByteString? end, long at, long limit = 0)
    {
        var keys = new List<KeyIndex>();
        t.Range(key, end, at, limit, null, keys);
        return keys.Select(k => Convert.ToHexString(k.Key.ToByteArray())).ToArray();
    }

    private static string H(string s) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Point_lookup_with_no_end()
    {
        var t = Fixture();
        Assert.Equal(new[] { H("ab") }, Keys(t, B("ab"), null, 10));
        Assert.Empty(Keys(t, B("b"), null, 10)); // deleted
        Assert.Equal(new[] { H("b") }, Keys(t, B("b"), null, 6)); // alive at 6
        Assert.Empty(Keys(t, B("zz"), null, 10));
    }

    [Fact]
    public void Range_is_half_open_and_bytewise()
    {
        var t = Fixture();
        Assert.Equal(new[] { H("a"), H("ab") }, Keys(t, B("a"), B("b"), 10));
        Assert.Equal(new[] { H("a"), H("ab"), H("b"), "63FF" }, Keys(t, B("a"), B("d"), 6));
        Assert.Empty(Keys(t, B("d"), B("a"), 10)); // end before key
        Assert.Empty(Keys(t, B("a"), B("a"), 10));
    }

    [Fact]
    public void Prefix_range_uses_key_plus_one()
    {
        var t = Fixture();
        Assert.Equal(new[] { H("a"), H("ab") }, Keys(t, B("a"), B("b"), 10)); // prefix "a"
        Assert.Equal(new[] { "63FF" }, Keys(t, B("c"), B("d"), 10)); // prefix "c" includes c\xff
    }

    [Fact]
    public void From_key_and_all_keys()
    {
        var t = Fixture();
        Assert.Equal(new[] { "63FF", H("d") }, Keys(t, B("c"), Unbounded, 10));
        Assert.Equal(new[] { H("a"), H("ab"), "63FF", H("d") }, Keys(t, ByteString.CopyFrom(0), Unbounded, 10));
        Assert.Empty(Keys(t, B("e"), Unbounded, 10));
    }

    [Fact]
    public void Count_covers_the_whole_range_while_limit_caps_what_is_collected()
    {
        var t = Fixture();
        var revs = new List<Revision>();
        var total = t.Range(ByteString.CopyFrom(0), Unbounded, 10, 2, revs, null);
        Assert.Equal(4, total);
        Assert.Equal(new[] { new Revision(2, 0), new Revision(3, 0) }, revs);
        Assert.Equal(5, t.Range(ByteString.CopyFrom(0), Unbounded, 6, 0, null, null));
    }

    [Fact]
    public void Reads_at_old_revisions_see_old_keys()
    {
        var t = Fixture();
        Assert.Equal(new[] { H("a"), H("ab") }, Keys(t, ByteString.CopyFrom(0), Unbounded, 3));
        Assert.Empty(Keys(t, ByteString.CopyFrom(0), Unbounded, 1));
    }

    [Fact]
    public void Compaction_removes_keys_left_empty()
    {
        var t = Fixture();
        Assert.Equal(5, t.Count);
        // As KvStore.CompactIndexStep walks it: each key of a snapshot compacted, the empty ones removed.
        var removed = new List<Revision>();
        foreach (var ki in t.Snapshot())
        {
            ki.Compact(7, removed);
            if (ki.IsEmpty) t.Remove(ki);
        }
        Assert.Equal(4, t.Count);
        Assert.Null(t.Find(B("b")));
        Assert.Equal(new[] { new Revision(4, 0), new Revision(7, 0) }, removed);
        Assert.Equal(new[] { H("a"), H("ab"), "63FF", H("d") }, Keys(t, ByteString.CopyFrom(0), Unbounded, 7));
    }

    [Fact]
    public void Only_an_empty_key_index_leaves_the_index()
    {
        var t = Fixture();
        var a = t.Find(B("a"))!;
        Assert.Throws<InvalidOperationException>(() => t.Remove(a));
        Assert.Equal(5, t.Count);
        Assert.Equal(new[] { H("a") }, Keys(t, B("a"), null, 10));
    }
}
