using Akka.Actor;
using Etcd.Actors.Lease;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;

namespace Etcd.Specs.Lease;

/// <summary>What the lease manager actor specs tell a LeaseManagerActor, and how they wait for its answers.</summary>
internal static class LeaseCalls
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>The store applied a grant of lease <paramref name="id"/> with <paramref name="ttl"/> seconds.</summary>
    public static MvccLeaseProtocol.LeasesApplied Granted(long id, long ttl) =>
        new(false, [new LeaseChange(LeaseChangeKind.Granted, new LeaseRecord(id, ttl, 0))]);

    /// <summary>A keep-alive: the TTL it renewed to.</summary>
    public static async Task<long> KeepAliveAsync(IActorRef lease, long id)
    {
        var renewed = new TaskCompletionSource<long>();
        lease.Tell(new LeaseProtocol.KeepAlive(id, renewed));
        return await renewed.Task.WaitAsync(Wait);
    }

    /// <summary>A round trip: every message told to <paramref name="lease"/> before it has been handled.</summary>
    public static async Task BarrierAsync(IActorRef lease)
    {
        var listed = new TaskCompletionSource<IReadOnlyList<long>>();
        lease.Tell(new LeaseProtocol.List(listed));
        await listed.Task.WaitAsync(Wait);
    }
}
