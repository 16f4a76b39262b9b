namespace Etcd.Actors.Server;

public sealed partial record EtcdServerSettings
{
    /// <summary>
    /// --experimental-initial-corrupt-check: a member that already has data compares its HashKV with its peers'
    /// before it starts Raft, and refuses to start on a mismatch (Corruption/InitialCorruptCheck.cs).
    /// </summary>
    public bool InitialCorruptCheck { get; init; }

    /// <summary>
    /// --experimental-corrupt-check-time: how often the leader compares every member's HashKV and raises the
    /// CORRUPT alarm on a mismatch (Corruption/CorruptionMonitor.cs); zero disables it.
    /// </summary>
    public TimeSpan CorruptCheckTime { get; init; }
}
