extern alias dotnetetcd;
using dotnetetcd::dotnet_etcd;
using Etcd.Specs.Support;
using Grpc.Core;
using Xunit;
using DnPb = dotnetetcd::Etcdserverpb;

namespace Etcd.Specs.Process;

/// <summary>The dotnet-etcd client, one of our first users, works against Etcd.Node unchanged.</summary>
public sealed class DotnetEtcdSpecs(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Put_get_delete_and_compare_and_set()
    {
        using var client = new EtcdClient(fixture.Node.Endpoint);
        await client.PutAsync("dn/a", "1");
        await client.PutAsync("dn/b", "2");
        Assert.Equal("1", await client.GetValAsync("dn/a"));
        var range = await client.GetRangeValAsync("dn/");
        Assert.Equal(new Dictionary<string, string> { ["dn/a"] = "1", ["dn/b"] = "2" }, range);

        var current = await client.GetAsync("dn/a");
        var modRev = current.Kvs.Single().ModRevision;
        var cas = new DnPb.TxnRequest();
        cas.Compare.Add(new DnPb.Compare
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8("dn/a"),
            Target = DnPb.Compare.Types.CompareTarget.Mod,
            Result = DnPb.Compare.Types.CompareResult.Equal,
            ModRevision = modRev,
        });
        cas.Success.Add(new DnPb.RequestOp { RequestPut = new DnPb.PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("dn/a"), Value = Google.Protobuf.ByteString.CopyFromUtf8("3") } });
        Assert.True((await client.TransactionAsync(cas)).Succeeded);
        Assert.False((await client.TransactionAsync(cas)).Succeeded); // mod revision moved on
        Assert.Equal("3", await client.GetValAsync("dn/a"));

        await client.DeleteRangeAsync("dn/");
        Assert.Empty(await client.GetRangeValAsync("dn/"));
    }

    [Fact]
    public async Task Errors_reach_the_client_with_etcds_message()
    {
        using var client = new EtcdClient(fixture.Node.Endpoint);
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(new DnPb.PutRequest()));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("etcdserver: key is not provided", ex.Status.Detail);
    }
}
