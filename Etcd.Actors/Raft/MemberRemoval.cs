namespace Etcd.Actors.Raft;

/// <summary>
/// RaftActor's removal bookkeeping, kept apart from the actor (no Akka, no clock: the caller passes its tick
/// count): which members the cluster removed (refused, as etcd's transport does), whether this member was in
/// the Raft configuration (so leaving it means removal), and when this member learned of its own removal: it
/// stops <c>stopTicks</c> later, once, so the commit of its removal can reach the others first.
/// </summary>
internal sealed class MemberRemoval(int stopTicks)
{
    private readonly HashSet<ulong> _removed = [];
    private bool _wasMember;
    private long _removedAtTick = -1;

    /// <summary>The member table says <paramref name="id"/> was removed.</summary>
    public void NoteRemoved(ulong id) => _removed.Add(id);

    public bool IsRemoved(ulong id) => _removed.Contains(id);

    /// <summary>After recovery: whether the recovered configuration holds this member.</summary>
    public void Recovered(bool inConfig) => _wasMember = inConfig;

    /// <summary>The configuration changed; true when it no longer holds this member, which it held before.</summary>
    public bool LeftConfig(bool inConfig)
    {
        if (inConfig) _wasMember = true;
        return !inConfig && _wasMember;
    }

    /// <summary>This member learned it was removed; true the first time only (the caller says so once).</summary>
    public bool StartStopping(long now)
    {
        if (_removedAtTick >= 0) return false;
        _removedAtTick = now;
        return true;
    }

    /// <summary>True once, <c>stopTicks</c> after <see cref="StartStopping"/>: the caller publishes MemberRemoved.</summary>
    public bool StopDue(long now)
    {
        if (_removedAtTick < 0 || now - _removedAtTick < stopTicks) return false;
        _removedAtTick = long.MaxValue; // publish once
        return true;
    }
}
