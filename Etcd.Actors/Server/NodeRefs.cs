using Akka.Actor;
using Etcd.Actors.Auth;
using Etcd.Actors.Raft;

namespace Etcd.Actors.Server;

/// <summary>
/// The refs the gRPC edge talks to. NodeGuardian recreates RaftActor after a journal failure, which gives
/// it a new incarnation; the edge reads this holder instead of paying a forwarding hop through the guardian.
/// <see cref="Raft"/> is null while RaftActor is down: callers then fail fast with "no leader".
/// </summary>
public sealed class NodeRefs(AuthGate? auth = null)
{
    /// <summary>The member's auth view and simple tokens (shared by the edge and the store).</summary>
    public AuthGate Auth { get; } = auth ?? AuthGate.Default();

    private volatile IActorRef? _raft;
    private volatile IActorRef? _mvcc;
    private volatile IActorRef? _watch;
    private volatile IActorRef? _lease;

    public IActorRef? Raft => _raft;

    public IActorRef Mvcc => _mvcc ?? throw new InvalidOperationException("MvccStoreActor not started");

    /// <summary>The member's WatchHubActor (null until the tree is built).</summary>
    public IActorRef? Watch => _watch;

    /// <summary>Learner flag and leader, kept current by RaftActor (every incarnation writes the same instance).</summary>
    public MemberStatus Status { get; } = new();

    /// <summary>The member's LeaseManagerActor (keep-alives, TTLs, the lease list).</summary>
    public IActorRef Lease => _lease ?? throw new InvalidOperationException("LeaseManagerActor not started");

    /// <summary>The store, or null before it is created (the lease manager, created first, asks it after a restart).</summary>
    internal IActorRef? MvccIfStarted => _mvcc;

    internal void SetLease(IActorRef lease) => _lease = lease;

    internal void SetRaft(IActorRef? raft) => _raft = raft;

    internal void SetMvcc(IActorRef mvcc) => _mvcc = mvcc;

    internal void SetWatch(IActorRef watch) => _watch = watch;
}
