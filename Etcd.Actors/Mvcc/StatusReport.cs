namespace Etcd.Actors.Mvcc;

/// <summary>
/// What Maintenance.Status reports, gathered in two steps: RaftActor fills in Raft's part (leader, commit index,
/// term, learner flag) and hands it to MvccStoreActor, which adds the store's (version, sizes, applied index, header).
/// A domain record: the facade builds etcd's <c>StatusResponse</c> from it.
/// </summary>
public sealed record StatusReport
{
    /// <summary>The leader's member id; 0 while there is none.</summary>
    public ulong Leader { get; init; }

    /// <summary>The commit index (etcd reports it as <c>raftIndex</c>).</summary>
    public ulong RaftIndex { get; init; }

    public ulong RaftTerm { get; init; }

    public bool IsLearner { get; init; }

    /// <summary>The etcd version this member reports.</summary>
    public string Version { get; init; } = "";

    public long DbSize { get; init; }

    public long DbSizeInUse { get; init; }

    public ulong RaftAppliedIndex { get; init; }

    /// <summary>Raised alarms in etcd's text form (Status <c>errors</c>), e.g. <c>alarm:CORRUPT </c>.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>RaftActor sets the member id and term; MvccStoreActor the whole header.</summary>
    public ReplyHeader Header { get; init; } = new(0, 0, 0, 0);
}
