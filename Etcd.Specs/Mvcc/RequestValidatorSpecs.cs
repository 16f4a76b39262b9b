using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

public class RequestValidatorSpecs
{
    private static TxnRequest Txn(params RequestOp[] success)
    {
        var t = new TxnRequest();
        t.Success.AddRange(success);
        return t;
    }

    [Fact]
    public void Empty_keys_are_refused_everywhere()
    {
        Assert.Same(EtcdErrors.EmptyKey, RequestValidator.ValidateRange(new RangeRequest()));
        Assert.Same(EtcdErrors.EmptyKey, RequestValidator.ValidatePut(new PutRequest { Value = B("v") }));
        Assert.Same(EtcdErrors.EmptyKey, RequestValidator.ValidateDeleteRange(new DeleteRangeRequest()));
        Assert.Same(EtcdErrors.EmptyKey, RequestValidator.ValidateTxn(new TxnRequest { Compare = { new Compare() } }, 128));
        Assert.Same(EtcdErrors.EmptyKey, RequestValidator.ValidateTxn(Txn(PutOp("", "v")), 128));
        Assert.Null(RequestValidator.ValidateRange(new RangeRequest { Key = B("a") }));
        Assert.Equal("etcdserver: key is not provided", EtcdErrors.EmptyKey.Message);
    }

    [Fact]
    public void Ignore_value_with_a_value_and_ignore_lease_with_a_lease()
    {
        Assert.Same(EtcdErrors.ValueProvided, RequestValidator.ValidatePut(new PutRequest { Key = B("a"), Value = B("v"), IgnoreValue = true }));
        Assert.Same(EtcdErrors.LeaseProvided, RequestValidator.ValidatePut(new PutRequest { Key = B("a"), Lease = 5, IgnoreLease = true }));
        Assert.Null(RequestValidator.ValidatePut(new PutRequest { Key = B("a"), IgnoreValue = true, IgnoreLease = true }));
        Assert.Equal("etcdserver: value is provided", EtcdErrors.ValueProvided.Message);
        Assert.Equal("etcdserver: lease is provided", EtcdErrors.LeaseProvided.Message);
    }

    [Fact]
    public void Empty_request_op_is_key_not_found()
    {
        Assert.Same(EtcdErrors.KeyNotFound, RequestValidator.ValidateTxn(Txn(new RequestOp()), 128));
        Assert.Equal("etcdserver: key not found", EtcdErrors.KeyNotFound.Message);
    }

    [Fact]
    public void Too_many_ops_counts_the_largest_of_compares_success_and_failure()
    {
        var ok = new TxnRequest();
        for (var i = 0; i < 3; i++) ok.Compare.Add(new Compare { Key = B("k" + i) });
        Assert.Null(RequestValidator.ValidateTxn(ok, 3));
        ok.Compare.Add(new Compare { Key = B("k9") });
        Assert.Same(EtcdErrors.TooManyOps, RequestValidator.ValidateTxn(ok, 3));
        var failure = new TxnRequest { Failure = { RangeOp("a"), RangeOp("b"), RangeOp("c"), RangeOp("d") } };
        Assert.Same(EtcdErrors.TooManyOps, RequestValidator.ValidateTxn(failure, 3));
        Assert.Equal("etcdserver: too many operations in txn request", EtcdErrors.TooManyOps.Message);
    }

    [Fact]
    public void Nested_txn_is_checked_against_the_remaining_budget()
    {
        // outer uses 2 of 4, leaving 2 for the nested one
        var nested2 = new TxnRequest { Success = { RangeOp("x"), RangeOp("y") } };
        var nested3 = new TxnRequest { Success = { RangeOp("x"), RangeOp("y"), RangeOp("z") } };
        Assert.Null(RequestValidator.ValidateTxn(Txn(TxnOp(nested2), RangeOp("a")), 4));
        Assert.Same(EtcdErrors.TooManyOps, RequestValidator.ValidateTxn(Txn(TxnOp(nested3), RangeOp("a")), 4));
    }

    [Fact]
    public void Duplicate_puts_in_one_branch()
    {
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(PutOp("a", "1"), PutOp("a", "2")), 128));
        Assert.Null(RequestValidator.ValidateTxn(new TxnRequest { Success = { PutOp("a", "1") }, Failure = { PutOp("a", "2") } }, 128));
        Assert.Equal("etcdserver: duplicate key given in txn request", EtcdErrors.DuplicateKey.Message);
    }

    [Fact]
    public void Put_overlapping_a_delete_point_or_range()
    {
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(DeleteOp("a"), PutOp("a", "1")), 128));
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(PutOp("b", "1"), DeleteOp("a", "c")), 128));
        Assert.Null(RequestValidator.ValidateTxn(Txn(PutOp("c", "1"), DeleteOp("a", "c")), 128)); // end is exclusive
        Assert.Null(RequestValidator.ValidateTxn(Txn(DeleteOp("a"), DeleteOp("a")), 128)); // two deletes are fine
        // A from-key delete ("\0" end) covers every key from its start. etcd 3.4 treats it as an empty
        // interval here and then panics applying e.g. [del a.., put b ignore_value]; we refuse it up front.
        var fromKey = new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("a"), RangeEnd = ByteString.CopyFrom(0) } };
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(fromKey, PutOp("b", "1")), 128));
        Assert.Null(RequestValidator.ValidateTxn(Txn(PutOp("0", "1"), fromKey), 128)); // "0" sorts before "a"
    }

    [Fact]
    public void Nested_puts_count_against_the_enclosing_branch()
    {
        var nested = new TxnRequest { Success = { PutOp("a", "1") } };
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(TxnOp(nested), PutOp("a", "2")), 128));
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(DeleteOp("a"), TxnOp(nested)), 128));
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(TxnOp(nested), TxnOp(nested)), 128));
        var nestedDelete = new TxnRequest { Failure = { DeleteOp("a") } };
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(TxnOp(nestedDelete), PutOp("a", "2")), 128));
    }

    [Fact]
    public void Then_and_else_of_a_nested_txn_may_put_the_same_key()
    {
        var nested = new TxnRequest { Success = { PutOp("a", "1") }, Failure = { PutOp("a", "2") } };
        Assert.Null(RequestValidator.ValidateTxn(Txn(TxnOp(nested)), 128));
        var nestedDeep = new TxnRequest { Success = { PutOp("a", "1"), PutOp("a", "1") } };
        Assert.Same(EtcdErrors.DuplicateKey, RequestValidator.ValidateTxn(Txn(TxnOp(nestedDeep)), 128));
    }

    [Fact]
    public void Read_only_and_serializable()
    {
        var ser = new RequestOp { RequestRange = new RangeRequest { Key = B("a"), Serializable = true } };
        Assert.True(RequestValidator.IsReadOnly(Txn(RangeOp("a"))));
        Assert.False(RequestValidator.IsReadOnly(Txn(RangeOp("a"), PutOp("b", "1"))));
        Assert.True(RequestValidator.IsSerializable(Txn(ser, ser)));
        Assert.False(RequestValidator.IsSerializable(Txn(ser, RangeOp("a"))));
        Assert.False(RequestValidator.IsSerializable(new TxnRequest { Success = { ser }, Failure = { PutOp("a", "1") } }));
    }

    [Fact]
    public void Compaction_is_not_validated_before_proposing()
    {
        Assert.Null(RequestValidator.ValidateCompaction(new CompactionRequest { Revision = -5 }));
    }
}
