using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>Bad input gets etcd's gRPC status and message, and changes nothing (the revision stays put).</summary>
public sealed class ErrorSpecs(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public static TheoryData<string, StatusCode, string> Cases() => new()
    {
        { "put-empty-key", StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { "range-empty-key", StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { "put-ignore-value-missing-key", StatusCode.InvalidArgument, "etcdserver: key not found" },
        { "put-ignore-value-with-value", StatusCode.InvalidArgument, "etcdserver: value is provided" },
        { "put-ignore-lease-with-lease", StatusCode.InvalidArgument, "etcdserver: lease is provided" },
        { "range-future-rev", StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision" },
        { "compact-future-rev", StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision" },
        { "txn-too-many-ops", StatusCode.InvalidArgument, "etcdserver: too many operations in txn request" },
        { "txn-duplicate-key", StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request" },
        { "put-too-large", StatusCode.InvalidArgument, "etcdserver: request is too large" },
        { "put-unknown-lease", StatusCode.NotFound, "etcdserver: requested lease not found" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_request_gets_etcds_error_and_changes_nothing(string name, StatusCode code, string message)
    {
        var kv = fixture.Kv;
        await kv.PutAsync(new PutRequest { Key = B("err/existing"), Value = B("v") });
        var before = (await kv.RangeAsync(new RangeRequest { Key = B("err/"), RangeEnd = B("err0") })).Header.Revision;

        var ex = await Assert.ThrowsAsync<RpcException>(() => Send(kv, name, before));

        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(message, ex.Status.Detail);
        var after = await kv.RangeAsync(new RangeRequest { Key = B("err/"), RangeEnd = B("err0") });
        Assert.Equal(before, after.Header.Revision);
        Assert.Single(after.Kvs);
    }

    [Fact]
    public async Task Compacted_revision_is_refused_for_reads_and_compactions()
    {
        var kv = fixture.Kv;
        var first = await kv.PutAsync(new PutRequest { Key = B("cmp/a"), Value = B("1") });
        await kv.PutAsync(new PutRequest { Key = B("cmp/a"), Value = B("2") });
        var third = await kv.PutAsync(new PutRequest { Key = B("cmp/a"), Value = B("3") });
        await kv.CompactAsync(new CompactionRequest { Revision = third.Header.Revision - 1 });

        var read = await Assert.ThrowsAsync<RpcException>(async () =>
            await kv.RangeAsync(new RangeRequest { Key = B("cmp/a"), Revision = first.Header.Revision }));
        Assert.Equal(StatusCode.OutOfRange, read.StatusCode);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", read.Status.Detail);

        var again = await Assert.ThrowsAsync<RpcException>(async () =>
            await kv.CompactAsync(new CompactionRequest { Revision = first.Header.Revision }));
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", again.Status.Detail);

        var kept = await kv.RangeAsync(new RangeRequest { Key = B("cmp/a"), Revision = third.Header.Revision - 1 });
        Assert.Equal("2", kept.Kvs.Single().Value.ToStringUtf8());
    }

    private static async Task Send(KV.KVClient kv, string name, long rev)
    {
        switch (name)
        {
            case "put-empty-key": await kv.PutAsync(new PutRequest { Value = B("v") }); break;
            case "range-empty-key": await kv.RangeAsync(new RangeRequest()); break;
            case "put-ignore-value-missing-key": await kv.PutAsync(new PutRequest { Key = B("err/missing"), IgnoreValue = true }); break;
            case "put-ignore-value-with-value": await kv.PutAsync(new PutRequest { Key = B("err/existing"), Value = B("x"), IgnoreValue = true }); break;
            case "put-ignore-lease-with-lease": await kv.PutAsync(new PutRequest { Key = B("err/existing"), Lease = 5, IgnoreLease = true }); break;
            case "range-future-rev": await kv.RangeAsync(new RangeRequest { Key = B("err/existing"), Revision = rev + 100 }); break;
            case "compact-future-rev": await kv.CompactAsync(new CompactionRequest { Revision = rev + 100 }); break;
            case "txn-too-many-ops":
                var big = new TxnRequest();
                for (var i = 0; i < 129; i++) big.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B($"err/t{i}"), Value = B("v") } });
                await kv.TxnAsync(big);
                break;
            case "txn-duplicate-key":
                var dup = new TxnRequest();
                dup.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("err/d"), Value = B("1") } });
                dup.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("err/d") } });
                await kv.TxnAsync(dup);
                break;
            case "put-too-large": await kv.PutAsync(new PutRequest { Key = B("err/big"), Value = ByteString.CopyFrom(new byte[1_600_000]) }); break;
            case "put-unknown-lease": await kv.PutAsync(new PutRequest { Key = B("err/leased"), Value = B("v"), Lease = 0x1234 }); break;
            default: throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
    }
}
