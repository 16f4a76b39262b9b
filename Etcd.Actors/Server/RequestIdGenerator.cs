namespace Etcd.Actors.Server;

/// <summary>
/// Waiter ids unique across restarts of this member (etcd's idutil): the member id's low 16 bits,
/// then 40 bits of the start time in milliseconds, then a counter. An entry re-applied after a crash
/// carries an id from an earlier incarnation, so it can never complete a waiter registered now. The layout is
/// <see cref="Wait.WaiterIds"/>'s: a leader checks a forwarded proposal's id against its origin with it.
/// </summary>
public sealed class RequestIdGenerator(ulong memberId, DateTimeOffset start)
{
    private readonly ulong _prefix = Wait.WaiterIds.Prefix(memberId, start.ToUnixTimeMilliseconds());
    private long _suffix;

    public ulong Next() => _prefix + (ulong)Interlocked.Increment(ref _suffix);
}
