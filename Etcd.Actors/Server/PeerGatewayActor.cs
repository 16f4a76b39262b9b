using Etcd.Actors.Serialization;
using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// /user/etcd/peer: where other members send Raft traffic. It lives as long as the member and forwards (keeping
/// the sender) to the current RaftActor incarnation. Peers cannot address RaftActor itself: NodeGuardian
/// recreates it after a journal failure, and Akka.Remote's per-thread cache of resolved inbound refs keeps
/// handing the dead incarnation to messages addressed by path, which then go to dead letters on some threads
/// for good (seen as a member that never hears its leader again). While no incarnation is running, messages
/// are dropped, which Raft tolerates like any lost message.
/// <para>
/// It is also the peer port's door (docs/design.md, "Transport"): only the peer protocol passes, i.e. a
/// <see cref="PeerEnvelope"/> for this cluster and this member (etcd's X-Etcd-Cluster-ID and X-Raft-To), from
/// another member, and not carrying a Raft message only our own core steps (<see cref="PeerTrust.Check"/>), and
/// the read-only <see cref="PeerClusterQuery"/> a joining member sends before it knows the cluster id.
/// Everything else is dropped with a warning naming the sender, at most one per sender per
/// <see cref="WarningInterval"/>. RaftActor checks the envelope again (Akka.Remote delivers to any actor path,
/// so a stranger may skip this door).
/// </para>
/// </summary>
public sealed class PeerGatewayActor : UntypedActor
{
    /// <summary>One warning per sender this often at most (etcd's transport complaints are rate-limited too).</summary>
    public static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    /// <summary>Senders remembered for rate limiting; more share one entry.</summary>
    public const int MaxWarnedSenders = 64;

    private readonly NodeRefs _refs;
    private readonly ulong _memberId;
    private readonly ulong _clusterId;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PeerWarnings _warnings;

    public PeerGatewayActor(NodeRefs refs, ulong memberId, ulong clusterId)
    {
        _refs = refs;
        _memberId = memberId;
        _clusterId = clusterId;
        _warnings = new PeerWarnings(WarningInterval, MaxWarnedSenders, static () => TimeSpan.FromMilliseconds(Environment.TickCount64));
    }

    public static Props Props(NodeRefs refs, ulong memberId, ulong clusterId) =>
        Akka.Actor.Props.Create(() => new PeerGatewayActor(refs, memberId, clusterId));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PeerEnvelope e:
                var verdict = PeerTrust.Check(e, _clusterId, _memberId);
                if (verdict != PeerVerdict.Accepted) WarnDropped(verdict, e);
                // Leases' forwarded keep-alives and their answers are the lease manager's (LeaseManagerActor.Forwarding.cs).
                else if (e.BodyCase is PeerEnvelope.BodyOneofCase.LeaseForward or PeerEnvelope.BodyOneofCase.LeaseAnswer) _refs.Lease.Forward(e);
                else Forward(e);
                break;
            case PeerClusterQuery:
                // Read-only (cluster id, members, removed ids): see peer.proto.
                Forward(message);
                break;
            case Etcd.Api.Etcdserverpb.PeerHashKVRequest:
                // Read-only too (a hash of the key revisions, as etcd serves /members/hashkv on its peer port): a
                // peer's initial corruption check asks it before that peer's Raft runs, and the store answers even
                // while no RaftActor does.
                _refs.Mvcc.Forward(message);
                break;
            default:
                WarnForeign(message);
                break;
        }
    }

    private void Forward(object message)
    {
        if (_refs.Raft is { } raft) raft.Forward(message);
    }

    private string SenderAddress => Sender.IsNobody() || Sender.Path.Address.Host is null ? "unknown" : Sender.Path.Address.ToString();

    private void WarnDropped(PeerVerdict verdict, PeerEnvelope e)
    {
        var address = SenderAddress;
        if (!_warnings.ShouldWarn($"{address}/{e.From:x16}", out var suppressed)) return;
        switch (verdict)
        {
            case PeerVerdict.ClusterMismatch:
                // Rare by construction (rate-limited): an interpolated string is fine here.
                _log.Warning($"rafthttp: request cluster ID mismatch (local-member-id={_memberId:x16}, local-member-cluster-id={_clusterId:x16}, " +
                             $"remote-peer-id={e.From:x16}, remote-peer-cluster-id={e.ClusterId:x16}, remote-address={address}, message={e.BodyCase}); " +
                             $"dropped, {suppressed} more since the last warning");
                break;
            case PeerVerdict.WrongRecipient:
                _log.Warning("rafthttp: ignored request; ID mismatch (local-member-id={0:x16}, remote-peer-id={1:x16}, raft-to={2:x16}, " +
                             "remote-address={3}, message={4}); dropped, {5} more since the last warning",
                    _memberId, e.From, e.To, address, e.BodyCase, suppressed);
                break;
            case PeerVerdict.NoBody:
                _log.Warning("rafthttp: ignored an empty peer envelope (local-member-id={0:x16}, remote-peer-id={1:x16}, remote-address={2}); " +
                             "dropped, {3} more since the last warning", _memberId, e.From, address, suppressed);
                break;
            default:
                // Claims to be this member, or a Raft message that names another sender or that only our own core steps.
                _log.Warning("rafthttp: ignored a forged peer message; {0} (local-member-id={1:x16}, remote-peer-id={2:x16}, remote-address={3}, " +
                             "message={4}); dropped, {5} more since the last warning",
                    PeerTrust.Reason(verdict), _memberId, e.From, address, e.BodyCase == PeerEnvelope.BodyOneofCase.Raft ? e.Raft.Type.ToString() : e.BodyCase.ToString(), suppressed);
                break;
        }
    }

    private void WarnForeign(object message)
    {
        var address = SenderAddress;
        if (!_warnings.ShouldWarn(address, out var suppressed)) return;
        _log.Warning("rafthttp: ignored a {0}, which is not part of the peer protocol (local-member-id={1:x16}, remote-address={2}); " +
                     "dropped, {3} more since the last warning", message.GetType().Name, _memberId, address, suppressed);
    }
}
