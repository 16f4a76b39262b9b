using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Which RangeResponses carry their key-values as bytes (<see cref="EncodedKvs"/>) rather than in <c>Kvs</c>: only
/// those the store answers to gRPC's KV.Range (MvccProtocol.ReadCommand.EncodeKvs), whose response marshaller
/// (Etcd.Node's KvMethodBinder) takes the bytes, writes them where the generated serializer would write <c>Kvs</c> and
/// releases them. Kept beside the response rather than in it: the generated message has no place for them. Weak, so
/// a response that is never written (its call ended first) takes its entry with it.
/// </summary>
public static class EncodedRanges
{
    private static readonly ConditionalWeakTable<RangeResponse, EncodedKvs> Attached = new();

    /// <summary>Gives <paramref name="response"/> its key-values as bytes.</summary>
    public static void Attach(RangeResponse response, EncodedKvs kvs) => Attached.AddOrUpdate(response, kvs);

    /// <summary>Takes <paramref name="response"/>'s key-values as bytes, if it has them: the caller writes and releases them.</summary>
    public static bool TryTake(RangeResponse response, [NotNullWhen(true)] out EncodedKvs? kvs)
    {
        // Remove decides: of two takers (there is one today: the marshaller, or the store when nobody took the
        // response) only one gets the bytes, so no chunk can go back to the pool twice.
        if (Attached.TryGetValue(response, out kvs) && Attached.Remove(response)) return true;
        kvs = null;
        return false;
    }
}
