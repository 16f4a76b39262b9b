using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// The key-values of a Range answered with <c>encodeKvs</c> (EtcdServer.RangeAsync), as bytes beside the response
/// (EncodedRanges, EncodedKvs), for the edge's Range marshaller: the edge sees only this, not the store's types.
/// Taken once; the taker writes them and releases them.
/// </summary>
public sealed class EncodedRangeBody
{
    private readonly EncodedKvs _kvs;

    private EncodedRangeBody(EncodedKvs kvs) => _kvs = kvs;

    /// <summary>Takes <paramref name="response"/>'s key-values as bytes, if the store gave it any.</summary>
    public static bool TryTake(RangeResponse response, [NotNullWhen(true)] out EncodedRangeBody? body)
    {
        body = EncodedRanges.TryTake(response, out var kvs) ? new EncodedRangeBody(kvs) : null;
        return body is not null;
    }

    /// <summary>Bytes of the <c>kvs</c> entries, as the generated serializer would write them.</summary>
    public long Length => _kvs.Length;

    /// <summary>Writes the <c>kvs</c> entries, in order.</summary>
    public void WriteTo(IBufferWriter<byte> writer) => _kvs.WriteTo(writer);

    /// <summary>Gives the bytes' chunks back to their pool; the body is empty afterwards.</summary>
    public void Release() => _kvs.Release();
}
