namespace Etcd.Actors.Raft;

/// <summary>What a RaftActor incarnation tells its parent about its recovery: exactly one of these each.</summary>
public static class RecoveryProtocol
{
    /// <summary>The journal was replayed and the Raft node started.</summary>
    public sealed record Recovered(ulong MemberId);

    /// <summary>The journal could not be replayed (or what it holds breaks an invariant); the actor stops.</summary>
    public sealed record RecoveryFailed(ulong MemberId, string Reason);
}
