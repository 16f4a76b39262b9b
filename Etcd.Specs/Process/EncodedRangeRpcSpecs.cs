using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>
/// KV.Range of more keys than one step reads (etcd.mvcc.range-step-rows, 500) comes to the client from the key-values
/// the store encoded as it read them (EncodedKvs, KvMethodBinder): every key and value, in order, with keys_only and a
/// limit as etcd answers them.
/// </summary>
public sealed class EncodedRangeRpcSpecs(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private const int Keys = 1500;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static string Value(int i) => $"value-{i}-" + new string((char)('a' + i % 26), i % 300);

    [Fact]
    public async Task A_range_of_several_steps_returns_every_key_and_value_in_order_and_keys_only_and_limit_too()
    {
        var kv = fixture.Kv;
        for (var start = 0; start < Keys; start += 100)
        {
            var txn = new TxnRequest();
            for (var i = start; i < start + 100; i++)
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B($"enc/{i:0000}"), Value = B(Value(i)) } });
            await kv.TxnAsync(txn);
        }

        var all = await kv.RangeAsync(new RangeRequest { Key = B("enc/"), RangeEnd = B("enc0") });
        Assert.Equal(Keys, all.Count);
        Assert.False(all.More);
        Assert.Equal(Enumerable.Range(0, Keys).Select(i => $"enc/{i:0000}"), all.Kvs.Select(k => k.Key.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, Keys).Select(Value), all.Kvs.Select(k => k.Value.ToStringUtf8()));
        Assert.All(all.Kvs, k => Assert.Equal(1, k.Version));
        Assert.True(all.Header.Revision >= all.Kvs.Max(k => k.ModRevision));

        var keysOnly = await kv.RangeAsync(new RangeRequest { Key = B("enc/"), RangeEnd = B("enc0"), KeysOnly = true });
        Assert.Equal(all.Kvs.Select(k => k.Key), keysOnly.Kvs.Select(k => k.Key));
        Assert.All(keysOnly.Kvs, k => Assert.True(k.Value.IsEmpty));
        Assert.Equal(all.Kvs.Select(k => k.ModRevision), keysOnly.Kvs.Select(k => k.ModRevision));

        var limited = await kv.RangeAsync(new RangeRequest { Key = B("enc/0100"), RangeEnd = B("enc0"), Limit = 1200 });
        Assert.Equal(Keys - 100, limited.Count);
        Assert.True(limited.More);
        Assert.Equal(all.Kvs.Skip(100).Take(1200), limited.Kvs);
    }
}
