using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

public class KvStoreSpecs
{
    [Fact]
    public void Fresh_store_is_at_revision_one()
    {
        var s = NewStore();
        Assert.Equal(1, s.CurrentRevision);
        Assert.Equal(-1, s.CompactedRevision);
        var r = s.Range(new RangeRequest { Key = B("a") }).Unwrap();
        Assert.Empty(r.Kvs);
        Assert.Equal(0, r.Count);
    }

    [Fact]
    public void Put_bumps_the_revision_and_tracks_version_create_and_mod()
    {
        var s = NewStore();
        s.Put("a", "1");
        Assert.Equal(2, s.CurrentRevision);
        var kv = s.Get("a")!;
        Assert.Equal((2L, 2L, 1L, "1"), (kv.CreateRevision, kv.ModRevision, kv.Version, kv.Value.ToStringUtf8()));

        s.Put("b", "x");
        s.Put("a", "2");
        Assert.Equal(4, s.CurrentRevision);
        kv = s.Get("a")!;
        Assert.Equal((2L, 4L, 2L, "2"), (kv.CreateRevision, kv.ModRevision, kv.Version, kv.Value.ToStringUtf8()));
    }

    [Fact]
    public void Delete_resets_the_version_and_recreation_gets_a_new_create_revision()
    {
        var s = NewStore();
        s.Put("a", "1");
        s.Put("a", "2");
        var d = s.Delete("a");
        Assert.Equal(1, d.Deleted);
        Assert.Equal(4, s.CurrentRevision);
        Assert.Null(s.Get("a"));
        s.Put("a", "3");
        var kv = s.Get("a")!;
        Assert.Equal((5L, 5L, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
    }

    [Fact]
    public void Delete_of_nothing_does_not_bump_the_revision()
    {
        var s = NewStore();
        s.Put("a", "1");
        var d = s.Delete("zz");
        Assert.Equal(0, d.Deleted);
        Assert.Equal(2, s.CurrentRevision);
        s.Delete("a");
        Assert.Equal(3, s.CurrentRevision);
        Assert.Equal(0, s.Delete("a").Deleted); // already deleted
        Assert.Equal(3, s.CurrentRevision);
    }

    [Fact]
    public void Delete_range_with_prev_kv_deletes_every_key_at_one_revision()
    {
        var s = NewStore();
        s.Put("a", "1");
        s.Put("b", "2");
        s.Put("c", "3");
        var d = s.Delete("a", "c", prevKv: true);
        Assert.Equal(2, d.Deleted);
        Assert.Equal(new[] { "a", "b" }, d.PrevKvs.Select(k => k.Key.ToStringUtf8()));
        Assert.Equal(5, s.CurrentRevision);
        Assert.Equal(new[] { "c" }, s.Range(new RangeRequest { Key = B("a"), RangeEnd = ByteString.CopyFrom(0) }).Unwrap().Keys());
        // the old state is still readable at revision 4
        Assert.Equal(3, s.Range(new RangeRequest { Key = B("a"), RangeEnd = B("d"), Revision = 4 }).Unwrap().Count);
    }

    [Fact]
    public void Delete_from_key_and_prefix()
    {
        var s = NewStore();
        foreach (var k in new[] { "a", "b1", "b2", "c" }) s.Put(k, "v");
        Assert.Equal(2, s.Delete("b", "c").Deleted);
        Assert.Equal(2, s.DeleteRange(new DeleteRangeRequest { Key = B("a"), RangeEnd = ByteString.CopyFrom(0) }).Unwrap().Deleted);
        Assert.Equal(0, s.Range(new RangeRequest { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0) }).Unwrap().Count);
    }

    [Fact]
    public void Put_with_prev_kv_returns_the_previous_value()
    {
        var s = NewStore();
        Assert.Null(s.Put("a", "1", prevKv: true).PrevKv);
        var prev = s.Put("a", "2", prevKv: true).PrevKv;
        Assert.Equal("1", prev.Value.ToStringUtf8());
        Assert.Equal(1, prev.Version);
    }

    [Fact]
    public void Ignore_value_and_ignore_lease_keep_the_existing_ones()
    {
        var s = NewStore(leases: id => id == 7);
        s.Put("a", "v1", lease: 7);
        s.Put(new PutRequest { Key = B("a"), IgnoreValue = true, Lease = 7 }).Unwrap();
        var kv = s.Get("a")!;
        Assert.Equal(("v1", 7L, 2L), (kv.Value.ToStringUtf8(), kv.Lease, kv.Version));

        s.Put(new PutRequest { Key = B("a"), Value = B("v2"), IgnoreLease = true }).Unwrap();
        kv = s.Get("a")!;
        Assert.Equal(("v2", 7L, 3L), (kv.Value.ToStringUtf8(), kv.Lease, kv.Version));

        // lease 0 without ignore_lease detaches
        s.Put("a", "v3");
        Assert.Equal(0, s.Get("a")!.Lease);
    }

    [Fact]
    public void Ignore_flags_on_a_missing_key_fail_with_key_not_found_and_change_nothing()
    {
        var s = NewStore();
        Assert.Same(EtcdErrors.KeyNotFound, s.Put(new PutRequest { Key = B("a"), IgnoreValue = true }).Error);
        Assert.Same(EtcdErrors.KeyNotFound, s.Put(new PutRequest { Key = B("a"), Value = B("x"), IgnoreLease = true }).Error);
        Assert.Equal(1, s.CurrentRevision);
    }

    [Fact]
    public void Put_with_an_unknown_lease_fails()
    {
        var s = NewStore();
        Assert.Same(EtcdErrors.LeaseNotFound, s.Put(new PutRequest { Key = B("a"), Lease = 42 }).Error);
        Assert.Equal(1, s.CurrentRevision);
    }

    [Fact]
    public void Reads_at_a_revision_see_the_past()
    {
        var s = NewStore();
        s.Put("a", "1"); // 2
        s.Put("a", "2"); // 3
        s.Delete("a");   // 4
        Assert.Equal("1", s.Get("a", 2)!.Value.ToStringUtf8());
        Assert.Equal("2", s.Get("a", 3)!.Value.ToStringUtf8());
        Assert.Null(s.Get("a", 4));
        Assert.Null(s.Get("a", 1));
    }

    [Fact]
    public void Future_revision_reads_fail()
    {
        var s = NewStore();
        s.Put("a", "1");
        Assert.Same(EtcdErrors.FutureRev, s.Range(new RangeRequest { Key = B("a"), Revision = 3 }).Error);
        Assert.True(s.Range(new RangeRequest { Key = B("a"), Revision = 2 }).IsOk);
    }

    [Fact]
    public void Compact_errors_for_old_and_future_revisions()
    {
        var s = NewStore();
        s.Put("a", "1");
        s.Put("a", "2"); // 3
        Assert.Same(EtcdErrors.FutureRev, s.Compact(4).Error);
        Assert.True(s.Compact(2).IsOk);
        Assert.Same(EtcdErrors.Compacted, s.Compact(2).Error);
        Assert.Same(EtcdErrors.Compacted, s.Compact(1).Error);
        Assert.True(s.Compact(3).IsOk);
        Assert.Equal(3, s.CompactedRevision);
        Assert.Equal(3, s.CurrentRevision); // compaction does not bump
    }

    [Fact]
    public void Reads_below_the_compacted_revision_fail_and_the_latest_versions_survive()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("a", "1"); // 2
        s.Put("a", "2"); // 3
        s.Put("b", "1"); // 4
        s.Delete("b");   // 5
        s.Put("c", "1"); // 6
        s.Compact(5).Unwrap();
        s.Commit(1);
        s.FinishCompaction();

        Assert.Same(EtcdErrors.Compacted, s.Range(new RangeRequest { Key = B("a"), Revision = 4 }).Error);
        Assert.Equal("2", s.Get("a", 5)!.Value.ToStringUtf8()); // at the compaction point: fine
        Assert.Null(s.Get("b", 5));
        Assert.Equal(2, s.Get("a")!.Version);
        // rows left: a@3, c@6; a@2, b@4 and the tombstone b@5 are gone
        Assert.Equal(new[] { new Revision(3, 0), new Revision(6, 0) }, backend.CommittedRevisions);
        Assert.Equal(2, s.IndexedKeys);
    }

    [Fact]
    public void Compaction_keeps_a_tombstone_after_the_compaction_point()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("a", "1"); // 2
        s.Put("a", "2"); // 3
        s.Delete("a");   // 4
        s.Compact(3).Unwrap();
        s.Commit(1);
        s.FinishCompaction();
        Assert.Equal(new[] { new Revision(3, 0), new Revision(4, 0) }, backend.CommittedRevisions);
        Assert.Equal("2", s.Get("a", 3)!.Value.ToStringUtf8());
        Assert.Null(s.Get("a"));
    }

    [Fact]
    public void Restart_rebuilds_the_same_state_from_the_backend()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("a", "1");
        s.Put("a", "2");
        s.Put("b", "1");
        s.Delete("b");
        s.Put("c", "1");
        s.Put("c", "2");
        s.Compact(4).Unwrap();
        s.Commit(9);

        var r = NewStore(backend);
        Assert.Equal(s.CurrentRevision, r.CurrentRevision);
        Assert.Equal(4, r.CompactedRevision);
        Assert.Equal(9ul, r.ConsistentIndex);
        foreach (var key in new[] { "a", "b", "c" })
            Assert.Equal(s.Get(key), r.Get(key));
        r.Put("a", "3");
        Assert.Equal((2L, 3L), (r.Get("a")!.CreateRevision, r.Get("a")!.Version));
        Assert.Same(EtcdErrors.Compacted, r.Range(new RangeRequest { Key = B("a"), Revision = 3 }).Error);
    }

    [Fact]
    public void Uncommitted_writes_are_lost_on_restart()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("a", "1");
        s.Commit(1);
        s.Put("a", "2");
        backend.Reopen();
        var r = NewStore(backend);
        Assert.Equal(2, r.CurrentRevision);
        Assert.Equal("1", r.Get("a")!.Value.ToStringUtf8());
        Assert.Equal(1ul, r.ConsistentIndex);
    }

    [Fact]
    public void Restart_after_everything_was_compacted_keeps_the_revision()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("a", "1"); // 2
        s.Delete("a");   // 3
        s.Compact(3).Unwrap();
        s.Commit(1);
        s.FinishCompaction();
        Assert.Empty(backend.CommittedRevisions);
        Assert.Equal(3, NewStore(backend).CurrentRevision);
    }

    [Fact]
    public void Events_are_reported_to_the_sink()
    {
        var s = NewStore();
        var events = new List<Etcd.Api.Mvccpb.Event>();
        s.EventSink = events;
        s.Put("a", "1");
        s.Delete("a");
        Assert.Equal(2, events.Count);
        Assert.Equal(Etcd.Api.Mvccpb.Event.Types.EventType.Put, events[0].Type);
        Assert.Equal(Etcd.Api.Mvccpb.Event.Types.EventType.Delete, events[1].Type);
        Assert.Equal(3, events[1].Kv.ModRevision);
    }
}
