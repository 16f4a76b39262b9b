namespace Etcd.Actors.Watch.Core;

/// <summary>etcd's WatchCreateRequest filters: events of these types are not sent to the watcher.</summary>
[Flags]
public enum WatchFilters
{
    None = 0,
    NoPut = 1,
    NoDelete = 2,
}
