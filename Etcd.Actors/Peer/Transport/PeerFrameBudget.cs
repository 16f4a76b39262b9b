namespace Etcd.Actors.Peer.Transport;

/// <summary>
/// The bytes that receive buffers holding a partial frame may take, over all connections of one transport
/// (partial-frame-budget, member.conf). A reader grows its buffer past 64 KiB only with bytes taken from here (a
/// grown buffer counts whole); a stranger's connection whose growth would go over the budget is closed instead
/// (PeerAssociationHandle.Reader.cs).
/// Without it a partial frame held up to twice maximum-frame-size per connection until Akka's failure detector ended
/// the association (acceptable-heartbeat-pause, 120 s by default), so max-inbound connections could pin gigabytes.
/// A member's connection always takes what it needs (it is counted, so strangers get less), so strangers filling the
/// budget never cut the members' large frames (snapshots, big entries). Pure and lock-free (PeerInboundLimitsSpecs).
/// </summary>
internal sealed class PeerFrameBudget(long limit)
{
    private long _used;

    public long Limit => limit;

    /// <summary>Bytes taken now.</summary>
    public long Used => Volatile.Read(ref _used);

    /// <summary>Takes <paramref name="bytes"/>; false (nothing taken) when a stranger's take would exceed the limit.</summary>
    public bool TryTake(long bytes, bool member)
    {
        if (member)
        {
            Interlocked.Add(ref _used, bytes);
            return true;
        }
        var used = Volatile.Read(ref _used);
        while (true)
        {
            if (used + bytes > limit) return false;
            var seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used) return true;
            used = seen;
        }
    }

    /// <summary>Gives back what <see cref="TryTake"/> took.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
