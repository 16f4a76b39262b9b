namespace Etcd.Actors.Watch.Core;

/// <summary>
/// An unordered set of watchers with O(1) add and remove: each watcher remembers its slot (a watcher is in one
/// container at a time, so one slot field suffices).
/// </summary>
public sealed class WatcherList
{
    private readonly List<Watcher> _items = new();

    public int Count => _items.Count;

    public Watcher this[int i] => _items[i];

    public void Add(Watcher w)
    {
        if (w.Slot >= 0) throw new InvalidOperationException($"{w} is already in a container");
        w.Slot = _items.Count;
        _items.Add(w);
    }

    public bool Remove(Watcher w)
    {
        var i = w.Slot;
        if (i < 0 || i >= _items.Count || !ReferenceEquals(_items[i], w)) return false;
        var last = _items[^1];
        _items[i] = last;
        last.Slot = i;
        _items.RemoveAt(_items.Count - 1);
        w.Slot = -1;
        return true;
    }

    public void CopyTo(List<Watcher> into) => into.AddRange(_items);

    public void Clear()
    {
        foreach (var w in _items) w.Slot = -1;
        _items.Clear();
    }
}
