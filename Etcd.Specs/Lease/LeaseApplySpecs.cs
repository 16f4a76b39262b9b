using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Support;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Lease;

/// <summary>
/// The apply side of leases (Applier + LeaseTable + KvStore's lease seam + the SQLite leases table), on a real backend
/// file so that restarts are real: grants follow etcd 3.4's rules, puts attach and overwrites/deletes detach, a
/// revocation deletes every key of the lease in one revision, and a reopened backend has its leases and attachments.
/// </summary>
public sealed class LeaseApplySpecs : IDisposable
{
    private readonly TempDir _dir = new("lease-apply");
    private SqliteBackend _backend;
    private LeaseTable _leases;
    private KvStore _store;
    private Applier _applier;
    private ulong _index;

    public LeaseApplySpecs() => Open();

    private string Path => System.IO.Path.Combine(_dir.Path, "mvcc.db");

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_backend), nameof(_leases), nameof(_store), nameof(_applier))]
    private void Open()
    {
        _backend = SqliteBackend.Open(Path);
        _leases = new LeaseTable(minTtl: 2, _backend.Leases);
        _store = new KvStore(_backend, new StoreLeases(_leases));
        _applier = new Applier(_store, _leases, 0xCC, 0xAA);
    }

    private void Reopen()
    {
        _backend.Dispose();
        Open();
    }

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    /// <summary>Applies one request and commits it as its own batch, as MvccStoreActor does.</summary>
    private ApplyResult Apply(InternalRaftRequest r)
    {
        var result = _applier.Apply(r, 2);
        if (_leases.IsDirty) _backend.StageLeases(_leases.TakeDirty());
        _store.Commit(++_index);
        return result;
    }

    private LeaseGrantResponse Grant(long id, long ttl)
    {
        var r = Apply(new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = id, TTL = ttl } });
        Assert.True(r.IsOk, r.Error?.Message);
        return (LeaseGrantResponse)r.Response!;
    }

    private EtcdError? GrantError(long id, long ttl) =>
        Apply(new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = id, TTL = ttl } }).Error;

    private ApplyResult Revoke(long id) => Apply(new InternalRaftRequest { LeaseRevoke = new LeaseRevokeRequest { ID = id } });

    private ApplyResult PutWithLease(string key, long lease) =>
        Apply(new InternalRaftRequest { Put = new PutRequest { Key = B(key), Value = B("v"), Lease = lease } });

    private string[] KeysOf(long id) => _leases.Keys(id).Select(k => k.ToStringUtf8()).ToArray();

    [Fact]
    public void Grant_follows_etcds_rules_for_ids_and_ttls()
    {
        Assert.Equal(EtcdErrors.LeaseNotFound, GrantError(0, 10));
        Assert.Equal(EtcdErrors.LeaseTtlTooLarge, GrantError(1, LeaseRules.MaxTtl + 1));
        Assert.Equal(LeaseRules.MaxTtl, Grant(2, LeaseRules.MaxTtl).TTL);
        var g = Grant(3, 60);
        Assert.Equal((3L, 60L), (g.ID, g.TTL));
        Assert.Equal(EtcdErrors.LeaseExist, GrantError(3, 60));
        // Shorter than the minimum (or negative) is raised to it; negative ids are leases like any other (etcd 3.4).
        Assert.Equal(2, Grant(4, 1).TTL);
        Assert.Equal(2, Grant(-5, -7).TTL);
        Assert.True(_leases.Exists(-5));
        // A grant changes no key: the revision stays.
        Assert.Equal(1, g.Header.Revision);
    }

    [Fact]
    public void Puts_attach_keys_and_overwrites_and_deletes_detach_them()
    {
        Grant(1, 60);
        Grant(2, 60);
        Assert.Equal(EtcdErrors.LeaseNotFound, PutWithLease("k", 9).Error);
        Assert.True(PutWithLease("a", 1).IsOk);
        Assert.True(PutWithLease("b", 1).IsOk);
        Assert.True(PutWithLease("c", 1).IsOk);
        Assert.Equal(["a", "b", "c"], KeysOf(1));
        PutWithLease("b", 2);            // moved to another lease
        PutWithLease("c", 0);            // overwritten without a lease
        Apply(new InternalRaftRequest { DeleteRange = new DeleteRangeRequest { Key = B("a") } });
        Assert.Empty(KeysOf(1));
        Assert.Equal(["b"], KeysOf(2));
        // ignore_lease keeps the key's lease.
        Apply(new InternalRaftRequest { Put = new PutRequest { Key = B("b"), Value = B("w"), IgnoreLease = true } });
        Assert.Equal(["b"], KeysOf(2));
        Assert.Equal(2, _store.Get("b")!.Lease);
    }

    [Fact]
    public void A_txn_put_attaches_and_a_txn_delete_detaches()
    {
        Grant(7, 60);
        var txn = new TxnRequest();
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("x"), Value = B("1"), Lease = 7 } });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("y"), Value = B("1"), Lease = 7 } });
        Assert.True(Apply(new InternalRaftRequest { Txn = txn }).IsOk);
        Assert.Equal(["x", "y"], KeysOf(7));
        var del = new TxnRequest();
        del.Success.Add(DeleteOp("x"));
        Apply(new InternalRaftRequest { Txn = del });
        Assert.Equal(["y"], KeysOf(7));
    }

    [Fact]
    public void Revoke_deletes_every_key_of_the_lease_in_one_revision_and_nothing_else()
    {
        Grant(1, 60);
        PutWithLease("k1", 1);
        PutWithLease("k3", 1);
        PutWithLease("k2", 1);
        _store.Put("other", "v");
        var before = _store.CurrentRevision;
        var events = new List<Event>();
        _store.EventSink = events;

        var r = Revoke(1);

        Assert.True(r.IsOk);
        Assert.Equal(before + 1, _store.CurrentRevision);
        Assert.Equal(before + 1, ((LeaseRevokeResponse)r.Response!).Header.Revision);
        // One write: three deletes sharing the revision, in key order (etcd sorts the keys), as one batch of events.
        Assert.Equal(["k1", "k2", "k3"], events.Select(e => e.Kv.Key.ToStringUtf8()));
        Assert.All(events, e => Assert.Equal((Event.Types.EventType.Delete, before + 1), (e.Type, e.Kv.ModRevision)));
        Assert.Null(_store.Get("k1"));
        Assert.NotNull(_store.Get("other"));
        Assert.False(_leases.Exists(1));
        Assert.Equal(EtcdErrors.LeaseNotFound, Revoke(1).Error);
    }

    [Fact]
    public void Revoking_a_lease_without_keys_leaves_the_revision_alone()
    {
        Grant(1, 60);
        var before = _store.CurrentRevision;
        Assert.True(Revoke(1).IsOk);
        Assert.Equal(before, _store.CurrentRevision);
        Assert.Equal(EtcdErrors.LeaseNotFound, Revoke(0).Error);
    }

    [Fact]
    public void A_reopened_backend_has_its_leases_checkpoints_and_attachments()
    {
        Grant(1, 60);
        Grant(2, 30);
        Grant(3, 90);
        PutWithLease("a", 1);
        PutWithLease("b", 1);
        PutWithLease("c", 2);
        PutWithLease("c", 1);     // moved: attached to 1 now
        PutWithLease("d", 2);
        Apply(new InternalRaftRequest { DeleteRange = new DeleteRangeRequest { Key = B("d") } });
        Revoke(3);
        var cp = new LeaseCheckpointRequest();
        cp.Checkpoints.Add(new LeaseCheckpoint { ID = 1, RemainingTTL = 42 });
        cp.Checkpoints.Add(new LeaseCheckpoint { ID = 99, RemainingTTL = 5 }); // unknown: ignored
        Assert.True(Apply(new InternalRaftRequest { LeaseCheckpoint = cp }).IsOk);

        Reopen();

        Assert.Equal([new LeaseRecord(1, 60, 42), new LeaseRecord(2, 30, 0)], _leases.All());
        Assert.Equal(["a", "b", "c"], KeysOf(1));
        Assert.Empty(KeysOf(2));
        var before = _store.CurrentRevision;
        Assert.True(Revoke(1).IsOk);
        Assert.Equal(before + 1, _store.CurrentRevision);
        Assert.Null(_store.Get("a"));
        Assert.Null(_store.Get("c"));
    }

    [Fact]
    public void A_batch_that_did_not_commit_leaves_no_lease_behind()
    {
        Grant(1, 60);
        // Applied but never committed (a crash before the batch's transaction): gone after the restart.
        _applier.Apply(new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = 2, TTL = 60 } }, 2);
        _backend.StageLeases(_leases.TakeDirty());
        Reopen();
        Assert.True(_leases.Exists(1));
        Assert.False(_leases.Exists(2));
    }
}
