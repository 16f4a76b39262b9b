using System.Buffers;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Etcd.Node.Hosting;
using Etcd.Node.Logging;
using Etcd.Node.Services;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Node;

/// <summary>
/// etcdserverpb.KV as the client port serves it (KvMethodProvider, KvMethodBinder): each generated method once, and
/// Range's and Txn's responses written as the generated marshallers write them, then emptied of their key-values
/// (operation responses) so that the values are not kept alive while the client takes the bytes.
/// </summary>
public sealed class KvMethodBinderSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task KV_s_five_methods_are_bound_once_each_and_Range_s_responses_go_through_the_releasing_marshaller()
    {
        var run = NodeConfig.Run("--listen-client-urls", "http://127.0.0.1:0", "--advertise-client-urls", "http://127.0.0.1:0");
        // A server that fails if anything asks for it: binding must not need one.
        await using var app = GrpcHost.Build(Task.FromException<EtcdServer>(new InvalidOperationException("no server in this spec")), run.Settings, run.Options, null,
            new Capnslog(TextWriter.Null, "info"));
        var kv = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints)
            .Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>())
            .OfType<GrpcMethodMetadata>()
            .Where(m => m.ServiceType == typeof(KvService) && m.Method.Type == MethodType.Unary && m.Method.ServiceName == "etcdserverpb.KV")
            .Select(m => m.Method)
            .ToList();

        Assert.Equal(["Compact", "DeleteRange", "Put", "Range", "Txn"], kv.Select(m => m.Name).Order());
        var range = Assert.IsType<Method<RangeRequest, RangeResponse>>(kv.Single(m => m.Name == "Range"));
        Assert.Same(KvMethodBinder.RangeResponseMarshaller, range.ResponseMarshaller);
        Assert.Equal("/etcdserverpb.KV/Range", range.FullName);
        var txn = Assert.IsType<Method<TxnRequest, TxnResponse>>(kv.Single(m => m.Name == "Txn"));
        Assert.Same(KvMethodBinder.TxnResponseMarshaller, txn.ResponseMarshaller);
    }

    [Fact]
    public void Txn_s_response_is_written_as_the_generated_marshaller_writes_it_and_then_holds_no_operation_responses()
    {
        var range = new RangeResponse { Count = 2 };
        range.Kvs.Add(new KeyValue { Key = ByteString.CopyFromUtf8("a"), Value = ByteString.CopyFromUtf8("1"), ModRevision = 3 });
        range.Kvs.Add(new KeyValue { Key = ByteString.CopyFromUtf8("b"), Value = ByteString.CopyFromUtf8("2"), ModRevision = 4 });
        var response = new TxnResponse { Header = new ResponseHeader { Revision = 9 }, Succeeded = true };
        response.Responses.Add(new ResponseOp { ResponseRange = range });
        response.Responses.Add(new ResponseOp { ResponsePut = new PutResponse() });
        var expected = response.ToByteArray();

        var written = new BufferSerialization();
        KvMethodBinder.TxnResponseMarshaller.ContextualSerializer(response, written);

        Assert.Equal(expected, written.Bytes);
        Assert.Empty(response.Responses);
        Assert.True(response.Succeeded);
        // Only the list was emptied: the operation responses themselves are untouched.
        Assert.Equal(2, range.Kvs.Count);
        Assert.Equal(expected, KvMethodBinder.TxnResponseMarshaller.ContextualDeserializer(new BufferDeserialization(written.Bytes)).ToByteArray());
    }

    [Fact]
    public void Range_s_response_is_written_as_the_generated_marshaller_writes_it_and_then_holds_no_key_values()
    {
        var response = new RangeResponse
        {
            Header = new ResponseHeader { ClusterId = 1, MemberId = 2, Revision = 30, RaftTerm = 4 },
            Count = 3,
            More = true,
        };
        for (var i = 0; i < 3; i++)
            response.Kvs.Add(new KeyValue { Key = ByteString.CopyFromUtf8($"k{i}"), Value = ByteString.CopyFromUtf8(new string('v', 300)), ModRevision = 10 + i, CreateRevision = 5, Version = 1 });
        var expected = response.ToByteArray();

        var written = new BufferSerialization();
        KvMethodBinder.RangeResponseMarshaller.ContextualSerializer(response, written);

        Assert.Equal(expected, written.Bytes);
        Assert.Equal(expected.Length, written.DeclaredLength);
        Assert.Empty(response.Kvs);
        // The rest of the response is as it was, and what was written reads back whole.
        Assert.Equal(3, response.Count);
        var read = KvMethodBinder.RangeResponseMarshaller.ContextualDeserializer(new BufferDeserialization(written.Bytes));
        Assert.Equal(3, read.Kvs.Count);
        Assert.Equal(expected, read.ToByteArray());
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(200, 64)]
    [InlineData(1500, 4096)]
    [InlineData(3000, 256 * 1024)]
    public void A_range_s_key_values_as_bytes_are_written_exactly_where_the_generated_marshaller_writes_Kvs_and_go_back_to_their_pool(int rows, int chunkBytes)
    {
        // KV_BINDER_SEED=<seed> replays a run.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("KV_BINDER_SEED"), out var given) ? given : Environment.TickCount;
        output.WriteLine($"seed {seed} ({rows} rows, {chunkBytes}-byte chunks); KV_BINDER_SEED={seed} replays it");
        var random = new Random(seed);
        var pool = new KvChunkPool(chunkBytes, maxKept: 1000);
        var kvs = new List<KeyValue>();
        for (var i = 0; i < rows; i++)
        {
            var kv = new KeyValue { Key = ByteString.CopyFromUtf8($"key/{i:00000}/{new string('k', random.Next(0, 40))}") };
            // Zero and nonzero revisions, version and lease (proto3 leaves zeros out); empty, short, long values, one larger than a chunk.
            if (random.Next(4) > 0) kv.CreateRevision = random.NextInt64(1, long.MaxValue);
            if (random.Next(4) > 0) kv.ModRevision = random.Next(1, 300);
            if (random.Next(4) > 0) kv.Version = random.Next(1, 20_000);
            if (random.Next(3) == 0) kv.Lease = random.NextInt64(1, 1L << 62);
            var valueLength = i == rows / 2 ? chunkBytes + 100 : random.Next(4) switch { 0 => 0, 1 => random.Next(1, 120), 2 => random.Next(120, 20_000), _ => 256 };
            var value = new byte[valueLength];
            random.NextBytes(value);
            kv.Value = ByteString.CopyFrom(value);
            kvs.Add(kv);
        }
        foreach (var header in new ResponseHeader?[] { new() { ClusterId = 1, MemberId = 2, Revision = 30, RaftTerm = 4 }, null })
        foreach (var (more, count) in new[] { (true, (long)rows + 7), (false, rows), (false, 0L) })
        {
            var expected = new RangeResponse { Header = header, More = more, Count = count };
            expected.Kvs.Add(kvs);
            var encoded = new EncodedKvs(pool, chunkBytes);
            foreach (var kv in kvs) encoded.Add(kv);
            var response = new RangeResponse { Header = header, More = more, Count = count };
            EncodedRanges.Attach(response, encoded);
            Assert.True(encoded.Chunks > 0);

            var written = new BufferSerialization();
            KvMethodBinder.RangeResponseMarshaller.ContextualSerializer(response, written);

            var bytes = expected.ToByteArray();
            Assert.Equal(bytes.Length, written.DeclaredLength);
            Assert.True(bytes.AsSpan().SequenceEqual(written.Bytes), $"seed {seed}: the bytes differ from the generated serializer's");
            Assert.Equal(expected, KvMethodBinder.RangeResponseMarshaller.ContextualDeserializer(new BufferDeserialization(written.Bytes)));
            // Written once: the bytes went back and the response no longer carries them.
            Assert.Equal(0, encoded.Chunks);
            Assert.False(EncodedRanges.TryTake(response, out _));
        }
        // The chunks of the pool's size came back (the row larger than a chunk had an array of its own, never kept).
        if (rows > 1) Assert.True(pool.Kept > 0);
    }

    [Fact]
    public void The_chunk_pool_keeps_at_most_its_bound_and_only_chunks_of_its_size()
    {
        var pool = new KvChunkPool(1024, maxKept: 2);
        var a = pool.Rent(10);
        var b = pool.Rent(1024);
        var c = pool.Rent(1);
        var large = pool.Rent(5000);
        Assert.Equal([1024, 1024, 1024, 5000], new[] { a.Length, b.Length, c.Length, large.Length });
        pool.Return(a);
        pool.Return(b);
        pool.Return(c);
        pool.Return(large);
        pool.Return(new byte[512]);
        Assert.Equal(2, pool.Kept);
        Assert.Same(b, pool.Rent(100));
        Assert.Same(a, pool.Rent(100));
        Assert.Equal(0, pool.Kept);
        Parallel.For(0, 64, _ => pool.Return(pool.Rent(1024)));
        Assert.InRange(pool.Kept, 1, 2);
    }

    private sealed class BufferSerialization : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private bool _completed;

        public int DeclaredLength { get; private set; } = -1;

        public byte[] Bytes => _completed ? _buffer.WrittenSpan.ToArray() : throw new InvalidOperationException("not completed");

        public override void SetPayloadLength(int payloadLength) => DeclaredLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete() => _completed = true;

        public override void Complete(byte[] payload)
        {
            _buffer.Write(payload);
            _completed = true;
        }
    }

    private sealed class BufferDeserialization(byte[] payload) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])payload.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
    }
}
