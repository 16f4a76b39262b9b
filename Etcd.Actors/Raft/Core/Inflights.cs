namespace Etcd.Actors.Raft.Core;

/// <summary>
/// The last index of each MsgApp sent to one follower and not yet acknowledged. Bounds how far the
/// leader streams ahead of a follower, so a slow follower cannot make it buffer unboundedly.
/// </summary>
public sealed class Inflights(int capacity)
{
    private readonly Queue<ulong> _lastIndexes = new();

    public int Capacity { get; } = capacity;
    public int Count => _lastIndexes.Count;
    public bool Full => _lastIndexes.Count >= Capacity;

    public void Add(ulong lastIndex)
    {
        if (Full) throw new RaftInvariantException("cannot add into a full inflights window");
        _lastIndexes.Enqueue(lastIndex);
    }

    /// <summary>Frees every message whose last index is at or below <paramref name="index"/> (acknowledged).</summary>
    public void FreeLE(ulong index)
    {
        while (_lastIndexes.Count > 0 && _lastIndexes.Peek() <= index) _lastIndexes.Dequeue();
    }

    /// <summary>Frees the oldest slot: a heartbeat answer proves the follower is alive even if MsgApps were lost.</summary>
    public void FreeFirstOne()
    {
        if (_lastIndexes.Count > 0) _lastIndexes.Dequeue();
    }

    public void Reset() => _lastIndexes.Clear();
}
