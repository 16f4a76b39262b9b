using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Integrity messages MvccStoreActor accepts (MvccStoreActor.Integrity.cs). Answered from the applied state,
/// between batches; a peer's <see cref="PeerHashKVRequest"/> (protobuf, over Akka.Remote) is answered to its
/// sender with a <see cref="PeerHashKVResponse"/>.
/// </summary>
public static class IntegrityProtocol
{
    /// <summary>Maintenance.HashKV at <paramref name="Revision"/> (0 = current); failed with etcd's error otherwise.</summary>
    public sealed record GetHashKv(long Revision, TaskCompletionSource<HashReport> Completion);

    /// <summary>Maintenance.Hash: the hash of the whole backend.</summary>
    public sealed record GetHash(TaskCompletionSource<HashReport> Completion);

    /// <summary>The raised alarms, without going through Raft (what Status reports in <c>errors</c>).</summary>
    public sealed record GetAlarms(TaskCompletionSource<IReadOnlyList<AlarmMember>> Completion);
}
