using Etcd.Actors.Errors;

namespace Etcd.Actors.Raft;

/// <summary>
/// The one leadership transfer a leader has under way, kept apart from RaftActor (no Akka, no clock: the caller
/// passes its tick count and what its Raft node says). It succeeds when the target is heard leading; it fails with
/// etcd's "leader transfer timeout" when another member leads, when a newer transfer replaces it, when the core
/// abandons it (still leading, no transferee: an election timeout passed) or when, after stepping down, no leader
/// is heard for two election timeouts.
/// </summary>
internal sealed class LeaderTransferWatch(int electionTick)
{
    private RaftProtocol.TransferLeadership? _transfer;
    private long _since;

    public bool Pending => _transfer is not null;

    /// <summary>A transfer starts at tick <paramref name="now"/>; one still under way fails.</summary>
    public void Start(RaftProtocol.TransferLeadership t, long now)
    {
        _transfer?.Completion.TrySetException(EtcdErrors.TimeoutLeaderTransfer.ToException());
        _transfer = t;
        _since = now;
    }

    /// <summary>Once per tick: <paramref name="leading"/> and <paramref name="leadTransferee"/> as the Raft node says.</summary>
    public void Tick(long now, bool leading, ulong leadTransferee)
    {
        if (_transfer is null) return;
        var abandoned = leading && leadTransferee == 0;
        var unheard = !leading && now - _since > 2L * electionTick;
        if (!abandoned && !unheard) return;
        _transfer.Completion.TrySetException(EtcdErrors.TimeoutLeaderTransfer.ToException());
        _transfer = null;
    }

    /// <summary>The node's soft state changed: <paramref name="lead"/> leads (0: unknown), <paramref name="leading"/> is us.</summary>
    public void LeadershipChanged(ulong lead, bool leading)
    {
        if (_transfer is null) return;
        if (lead == _transfer.Target) _transfer.Completion.TrySetResult();
        else if (leading || lead == 0) return; // still ours, or not known yet
        else _transfer.Completion.TrySetException(EtcdErrors.TimeoutLeaderTransfer.ToException());
        _transfer = null;
    }

    /// <summary>Fails the transfer under way, if any, with <paramref name="error"/> (the actor stops or restarts).</summary>
    public void Fail(EtcdError error)
    {
        _transfer?.Completion.TrySetException(error.ToException());
        _transfer = null;
    }
}
