namespace Etcd.Actors.Watch.Core;

/// <summary>
/// A read of the events in revisions [<see cref="From"/>, <see cref="To"/>], at most about <see cref="MaxEvents"/>
/// (a revision is never split: one txn's events go together), for the watchers of round <see cref="Round"/>.
/// <see cref="PrevKv"/>: some of them want each event's previous key-value.
/// </summary>
public sealed record HistoryRequest(long Round, long From, long To, int MaxEvents, bool PrevKv);
