using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;
using CompareResult = Etcd.Api.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Etcd.Api.Etcdserverpb.Compare.Types.CompareTarget;

namespace Etcd.Specs.Mvcc;

public class KvStoreTxnSpecs
{
    /// <summary>k: create 2, mod 3, version 2, value "m", lease 7.</summary>
    private static KvStore Fixture()
    {
        var s = NewStore(leases: id => id == 7);
        s.Put("k", "a", lease: 7);
        s.Put("k", "m", lease: 7);
        return s;
    }

    private static Compare Cmp(CompareTarget target, CompareResult result, long number, string value = "", string key = "k", string end = "")
    {
        var c = new Compare { Key = B(key), RangeEnd = B(end), Target = target, Result = result };
        switch (target)
        {
            case CompareTarget.Version: c.Version = number; break;
            case CompareTarget.Create: c.CreateRevision = number; break;
            case CompareTarget.Mod: c.ModRevision = number; break;
            case CompareTarget.Lease: c.Lease = number; break;
            case CompareTarget.Value: c.Value = B(value); break;
        }
        return c;
    }

    private static bool Holds(KvStore s, Compare c)
    {
        var r = s.Txn(new TxnRequest { Compare = { c } }).Unwrap();
        return r.Succeeded;
    }

    public static TheoryData<CompareTarget, long, string> Targets => new()
    {
        // target, the fixture's value for it (numbers), or its value string
        { CompareTarget.Version, 2, "" },
        { CompareTarget.Create, 2, "" },
        { CompareTarget.Mod, 3, "" },
        { CompareTarget.Lease, 7, "" },
        { CompareTarget.Value, 0, "m" },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_target_with_every_operator(CompareTarget target, long actual, string actualValue)
    {
        var s = Fixture();
        Compare Make(CompareResult r, int delta) =>
            target == CompareTarget.Value
                ? Cmp(target, r, 0, delta == 0 ? actualValue : delta < 0 ? "a" : "z")
                : Cmp(target, r, actual + delta);

        Assert.True(Holds(s, Make(CompareResult.Equal, 0)));
        Assert.False(Holds(s, Make(CompareResult.Equal, 1)));
        Assert.True(Holds(s, Make(CompareResult.NotEqual, 1)));
        Assert.False(Holds(s, Make(CompareResult.NotEqual, 0)));
        Assert.True(Holds(s, Make(CompareResult.Greater, -1))); // actual > smaller
        Assert.False(Holds(s, Make(CompareResult.Greater, 0)));
        Assert.True(Holds(s, Make(CompareResult.Less, 1)));
        Assert.False(Holds(s, Make(CompareResult.Less, 0)));
        Assert.Equal(3, s.CurrentRevision); // comparisons alone never bump
    }

    [Theory]
    [InlineData(CompareTarget.Version)]
    [InlineData(CompareTarget.Create)]
    [InlineData(CompareTarget.Mod)]
    [InlineData(CompareTarget.Lease)]
    public void Missing_key_compares_as_zero(CompareTarget target)
    {
        var s = Fixture();
        Assert.True(Holds(s, Cmp(target, CompareResult.Equal, 0, key: "missing")));
        Assert.True(Holds(s, Cmp(target, CompareResult.Less, 1, key: "missing")));
    }

    [Fact]
    public void Value_compare_on_a_missing_key_always_fails()
    {
        var s = Fixture();
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.Equal, 0, "", key: "missing")));
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.NotEqual, 0, "x", key: "missing")));
    }

    [Fact]
    public void Range_compare_must_hold_for_every_key()
    {
        var s = NewStore();
        s.Put("p/a", "1"); // mod 2
        s.Put("p/b", "1"); // mod 3
        Assert.True(Holds(s, Cmp(CompareTarget.Mod, CompareResult.Greater, 1, key: "p/", end: "p0")));
        Assert.False(Holds(s, Cmp(CompareTarget.Mod, CompareResult.Greater, 2, key: "p/", end: "p0")));
        Assert.True(Holds(s, Cmp(CompareTarget.Value, CompareResult.Equal, 0, "1", key: "p/", end: "p0")));
        // empty range: zero values, value always false
        Assert.True(Holds(s, Cmp(CompareTarget.Version, CompareResult.Equal, 0, key: "q/", end: "q0")));
        Assert.False(Holds(s, Cmp(CompareTarget.Value, CompareResult.Equal, 0, "", key: "q/", end: "q0")));
    }

    [Fact]
    public void Mismatched_target_union_compares_against_zero()
    {
        var s = Fixture();
        // target MOD but the union carries a version: etcd compares mod (3) with 0
        var c = new Compare { Key = B("k"), Target = CompareTarget.Mod, Result = CompareResult.Greater, Version = 100 };
        Assert.True(Holds(s, c));
    }

    [Fact]
    public void Compares_are_anded_and_pick_the_branch()
    {
        var s = Fixture();
        var t = new TxnRequest
        {
            Compare = { Cmp(CompareTarget.Version, CompareResult.Equal, 2), Cmp(CompareTarget.Mod, CompareResult.Equal, 99) },
            Success = { PutOp("s", "1") },
            Failure = { PutOp("f", "1") },
        };
        var r = s.Txn(t).Unwrap();
        Assert.False(r.Succeeded);
        Assert.NotNull(s.Get("f"));
        Assert.Null(s.Get("s"));
    }

    [Fact]
    public void All_writes_share_one_revision_with_sub_revisions()
    {
        var backend = new InMemoryBackend();
        var s = NewStore(backend);
        s.Put("x", "0"); // 2
        var r = s.Txn(new TxnRequest { Success = { PutOp("a", "1"), PutOp("b", "1"), DeleteOp("x") } }).Unwrap();
        Assert.True(r.Succeeded);
        Assert.Equal(3, s.CurrentRevision);
        Assert.Equal(3, s.Get("a")!.ModRevision);
        Assert.Equal(3, s.Get("b")!.ModRevision);
        Assert.Null(s.Get("x"));
        s.Commit(1);
        Assert.Equal(new[] { new Revision(2, 0), new Revision(3, 0), new Revision(3, 1), new Revision(3, 2) }, backend.CommittedRevisions);
        Assert.Equal(3, r.Responses[0].ResponsePut.Header.Revision);
        Assert.Equal(1, r.Responses[2].ResponseDeleteRange.Deleted);
    }

    [Fact]
    public void A_txn_that_writes_nothing_does_not_bump_the_revision()
    {
        var s = Fixture();
        var r = s.Txn(new TxnRequest { Success = { RangeOp("k"), DeleteOp("nothing") } }).Unwrap();
        Assert.True(r.Succeeded);
        Assert.Equal(3, s.CurrentRevision);
        Assert.Equal("m", r.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(0, r.Responses[1].ResponseDeleteRange.Deleted);
    }

    [Fact]
    public void Ranges_inside_a_txn_see_earlier_writes_of_the_txn()
    {
        var s = Fixture();
        var r = s.Txn(new TxnRequest { Success = { RangeOp("n"), PutOp("n", "1"), RangeOp("n") } }).Unwrap();
        Assert.Empty(r.Responses[0].ResponseRange.Kvs);
        Assert.Equal(3, r.Responses[0].ResponseRange.Header.Revision);
        Assert.Equal("1", r.Responses[2].ResponseRange.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(4, r.Responses[2].ResponseRange.Header.Revision);
    }

    [Fact]
    public void Nested_txn_compares_see_the_state_before_the_outer_writes()
    {
        var s = Fixture();
        var inner = new TxnRequest
        {
            Compare = { Cmp(CompareTarget.Version, CompareResult.Equal, 0, key: "n") }, // n does not exist before the txn
            Success = { PutOp("inner", "then") },
            Failure = { PutOp("inner", "else") },
        };
        var r = s.Txn(new TxnRequest { Success = { PutOp("n", "1"), TxnOp(inner) } }).Unwrap();
        Assert.True(r.Responses[1].ResponseTxn.Succeeded);
        Assert.Equal("then", s.Get("inner")!.Value.ToStringUtf8());
        Assert.Equal(4, s.CurrentRevision);
        Assert.Equal(4, s.Get("inner")!.ModRevision);
        Assert.Equal(4, s.Get("n")!.ModRevision);
    }

    [Fact]
    public void Nested_txns_in_both_branches_follow_their_own_paths()
    {
        var s = Fixture();
        TxnRequest Inner(string tag, bool holds) => new()
        {
            Compare = { Cmp(CompareTarget.Version, CompareResult.Equal, holds ? 2 : 5) },
            Success = { PutOp(tag + "-then", "1") },
            Failure = { PutOp(tag + "-else", "1") },
        };
        var t = new TxnRequest
        {
            Compare = { Cmp(CompareTarget.Version, CompareResult.Equal, 5) }, // false
            Success = { TxnOp(Inner("s1", true)) },
            Failure = { TxnOp(Inner("f1", true)), TxnOp(Inner("f2", false)) },
        };
        var r = s.Txn(t).Unwrap();
        Assert.False(r.Succeeded);
        Assert.True(r.Responses[0].ResponseTxn.Succeeded);
        Assert.False(r.Responses[1].ResponseTxn.Succeeded);
        Assert.NotNull(s.Get("f1-then"));
        Assert.NotNull(s.Get("f2-else"));
        Assert.Null(s.Get("s1-then"));
        Assert.Null(s.Get("f1-else"));
    }

    [Fact]
    public void Txn_put_with_ignore_value_on_a_missing_key_fails_before_any_write()
    {
        var s = Fixture();
        var r = s.Txn(new TxnRequest
        {
            Success = { PutOp("a", "1"), new RequestOp { RequestPut = new PutRequest { Key = B("missing"), IgnoreValue = true } } },
        });
        Assert.Same(EtcdErrors.KeyNotFound, r.Error);
        Assert.Null(s.Get("a"));
        Assert.Equal(3, s.CurrentRevision);
    }

    [Fact]
    public void Txn_put_with_an_unknown_lease_fails_only_on_the_taken_branch()
    {
        var s = Fixture();
        var bad = new RequestOp { RequestPut = new PutRequest { Key = B("x"), Lease = 99 } };
        Assert.Same(EtcdErrors.LeaseNotFound, s.Txn(new TxnRequest { Success = { bad } }).Error);
        Assert.True(s.Txn(new TxnRequest { Compare = { Cmp(CompareTarget.Version, CompareResult.Equal, 9) }, Success = { bad } }).IsOk);
    }

    [Fact]
    public void Txn_ranges_at_future_or_compacted_revisions_fail_the_whole_txn()
    {
        var s = Fixture();
        s.Put("z", "1"); // 4
        s.Compact(3).Unwrap();
        var future = new RequestOp { RequestRange = new RangeRequest { Key = B("k"), Revision = 9 } };
        var compacted = new RequestOp { RequestRange = new RangeRequest { Key = B("k"), Revision = 2 } };
        Assert.Same(EtcdErrors.FutureRev, s.Txn(new TxnRequest { Success = { PutOp("w", "1"), future } }).Error);
        Assert.Same(EtcdErrors.Compacted, s.Txn(new TxnRequest { Success = { compacted } }).Error);
        Assert.Null(s.Get("w"));
        Assert.Equal(4, s.CurrentRevision);
    }

    [Fact]
    public void Read_only_detection()
    {
        Assert.True(KvStore.IsReadOnlyTxn(new TxnRequest { Success = { RangeOp("a") }, Failure = { RangeOp("b") } }));
        Assert.False(KvStore.IsReadOnlyTxn(new TxnRequest { Success = { RangeOp("a") }, Failure = { PutOp("b", "") } }));
        Assert.False(KvStore.IsReadOnlyTxn(new TxnRequest { Success = { TxnOp(new TxnRequest()) } }));
    }
}
