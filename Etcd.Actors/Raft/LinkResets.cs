namespace Etcd.Actors.Raft;

/// <summary>
/// This member's own resets of its links to peers (<c>RaftActor.ResetLink</c>), so that the one outbound loss a reset
/// causes is not taken for the peer going away (<see cref="TransportLoss"/>). Resetting gates the address in
/// Akka.Remote's EndpointManager (a quarantine request without a UID), which stops the writable endpoint; its
/// EndpointWriter's PostStop publishes exactly one <c>DisassociatedEvent</c> for it (Akka.Remote 1.5,
/// EndpointManager's Quarantine handler and EndpointWriter.PostStop). So a reset excuses the first outbound loss of
/// that peer within two election timeouts and no more (the caller passes only DisassociatedEvents: an
/// AssociationErrorEvent is a failed dial): a redial that fails after the gate opens again is real
/// evidence that the peer is gone and takes the fast-failover path as any other loss. No clock: the caller passes
/// its tick count.
/// </summary>
public sealed class LinkResets
{
    private readonly Dictionary<ulong, long> _resetAt = new();
    private readonly long _window;

    public LinkResets(int electionTick) => _window = 2L * electionTick;

    /// <summary>We reset our link to <paramref name="peer"/> at tick <paramref name="now"/>.</summary>
    public void Reset(ulong peer, long now) => _resetAt[peer] = now;

    /// <summary>
    /// An outbound loss of <paramref name="peer"/>'s link at tick <paramref name="now"/>: true if it is the one our
    /// last reset caused (the first such loss within the window). Either way the reset is spent.
    /// </summary>
    public bool TakeOwnLoss(ulong peer, long now) => _resetAt.Remove(peer, out var at) && now - at <= _window;

    /// <summary>The peer left the configuration.</summary>
    public void Forget(ulong peer) => _resetAt.Remove(peer);

    /// <summary>Resets not yet spent (for specs and the status dump).</summary>
    public int Pending => _resetAt.Count;
}
