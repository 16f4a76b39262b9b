using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;
using Kind = Etcd.Api.Etcdserverpb.LeaseForward.Types.Kind;

namespace Etcd.Actors.Lease;

/// <summary>
/// Keep-alives and TTL queries on a follower go to the leader's lease manager, as etcd forwards LeaseRenew and
/// LeaseTimeToLive to its leader. Both ways travel in a <see cref="PeerEnvelope"/> to the other member's gateway
/// (docs/design.md, "Transport"), which hands <c>lease_forward</c> and <c>lease_answer</c> bodies to this actor.
/// Bounded: at most <see cref="LeaseSettings.MaxForwardsInFlight"/> outstanding ("too many requests" beyond), each
/// failed with "request timed out" after <see cref="LeaseSettings.ForwardTimeout"/>. A leader change sends the
/// outstanding ones to the new leader (or serves them here, when this member is it); one answered "not leader" is
/// sent again at the next loop (a new leader may hear from a follower before it has promoted its own lessor).
/// <para>
/// Trust (docs/design.md, "Trust model of the peer port"): request numbers start at a random 64-bit value in each
/// incarnation, and an answer counts only for an outstanding number, the lease it was asked about, and from the member
/// it was sent to. The leader answers only current members (in the store's member table, not removed), at the address
/// that table gives them (<see cref="PeerDirectory"/>), never at the address a request claims to come from.
/// </para>
/// </summary>
public sealed partial class LeaseManagerActor
{
    private IActorRef? _mvcc;
    private readonly Dictionary<ulong, PendingForward> _pending = new();
    // Current members other than this one, at their member-table addresses: where requests go and answers are sent.
    private PeerDirectory _peers = null!;
    private ulong _seq;
    private bool _membersAsked;
    // Forwarded requests accepted from each member and not yet answered (held, or waiting for a leadership round).
    private readonly Dictionary<ulong, int> _forwardedInFlight = new();

    private void ReceiveForwarding()
    {
        _peers = new PeerDirectory(((ExtendedActorSystem)Context.System).Provider);
        Receive<PeerEnvelope>(OnPeerEnvelope);
        Receive<MvccProtocol.MembersChanged>(OnMembers);
    }

    private void ForwardKeepAlive(LeaseProtocol.KeepAlive k) => Enqueue(new PendingForward(Kind.KeepAlive, k.Id, Now + ForwardTimeoutMs, k.Completion, null));

    private void ForwardTimeToLive(LeaseProtocol.TimeToLive t) => Enqueue(new PendingForward(Kind.TimeToLive, t.Id, Now + ForwardTimeoutMs, null, t.Completion));

    private long ForwardTimeoutMs => (long)_settings.ForwardTimeout.TotalMilliseconds;

    private void Enqueue(PendingForward p)
    {
        if (_pending.Count >= _settings.MaxForwardsInFlight)
        {
            p.Fail(EtcdErrors.TooManyRequests);
            return;
        }
        var seq = unchecked(++_seq);
        _pending.Add(seq, p);
        Send(seq, p);
    }

    /// <summary>Sends one outstanding request to the leader if it is known and reachable; otherwise it waits for the next change.</summary>
    private void Send(ulong seq, PendingForward p)
    {
        if (_leader == 0 || _leader == _memberId) return;
        if (!_peers.TryGet(_leader, out var leader))
        {
            AskMembers();
            return;
        }
        p.SentTo = _leader;
        leader.Tell(new PeerEnvelope
        {
            ClusterId = _clusterId, To = _leader, From = _memberId,
            LeaseForward = new LeaseForward { Seq = seq, LeaseID = p.LeaseId, Kind = p.Kind },
        }, Self);
    }

    private void AskMembers()
    {
        if (_membersAsked || _mvcc is null) return;
        _membersAsked = true;
        _mvcc.Tell(new MvccProtocol.GetMembers(Self));
    }

    private void OnMembers(MvccProtocol.MembersChanged m)
    {
        // _membersAsked stays set until the next loop: a stranger's forwarded request makes this member ask for the
        // table, and clearing it on every answer would let a stream of them drive one rebuild after another.
        foreach (var member in m.Members)
            if (member.ID != _memberId) _peers.Set(member.ID, member.PeerURLs);
        foreach (var id in m.Removed) _peers.Remove(id);
        ResendPending();
    }

    /// <summary>After a leader change (or once the leader's address is known): serve here or send to the leader.</summary>
    private void ResendPending()
    {
        if (_pending.Count == 0) return;
        foreach (var (seq, p) in _pending.ToArray())
        {
            if (_lessor.IsPrimary)
            {
                _pending.Remove(seq);
                Serve(p);
            }
            else if (p.SentTo != _leader) Send(seq, p);
        }
    }

    /// <summary>Answers a request this member can answer now that it leads.</summary>
    private void Serve(PendingForward p)
    {
        if (p.Kind == Kind.KeepAlive) OnKeepAlive(new LeaseProtocol.KeepAlive(p.LeaseId, p.KeepAlive!));
        else OnTimeToLive(new LeaseProtocol.TimeToLive(p.LeaseId, p.TimeToLive!));
    }

    /// <summary>Fails what waited too long or whose caller gave up, and sends again what was refused (the loop runs every 500 ms).</summary>
    private void ExpireForwards(long now)
    {
        if (_pending.Count == 0) return;
        foreach (var (seq, p) in _pending.ToArray())
        {
            if (p.IsDone) _pending.Remove(seq);
            else if (p.DeadlineMs <= now)
            {
                _pending.Remove(seq);
                p.Fail(_leader == 0 ? EtcdErrors.NoLeader : EtcdErrors.Timeout);
            }
            // Answered "not leader" by the member this one believes leads (its own promotion had not happened yet, right
            // after an election): asked again at each loop until it answers or the request times out.
            else if (p.SentTo == 0) Send(seq, p);
        }
    }

    private void FailAllForwards(EtcdError error)
    {
        foreach (var p in _pending.Values) p.Fail(error);
        _pending.Clear();
    }

    private void OnPeerEnvelope(PeerEnvelope e)
    {
        // Checked again here: Akka.Remote delivers to any actor path, so a stranger may skip the gateway.
        if (PeerTrust.Check(e, _clusterId, _memberId) != PeerVerdict.Accepted) return;
        switch (e.BodyCase)
        {
            case PeerEnvelope.BodyOneofCase.LeaseForward:
                Answer(e.From, e.LeaseForward);
                break;
            case PeerEnvelope.BodyOneofCase.LeaseAnswer:
                OnAnswer(e.From, e.LeaseAnswer);
                break;
        }
    }

    /// <summary>
    /// The leader's side: renew or look up, and answer the follower's gateway at its member-table address. Only a
    /// current member is answered; one this member does not know (yet: a member just added) makes it ask the store
    /// for the table, and the follower sends again at its next loop or times out.
    /// </summary>
    private void Answer(ulong from, LeaseForward f)
    {
        if (!_peers.TryGet(from, out var reply))
        {
            AskMembers();
            _log.Debug("lease: forwarded request from {0:x16}, not a current member (or not known yet), ignored", from);
            return;
        }
        CatchUpLeader();
        // Each member has its own share of the room (LeaseSettings.MaxForwardedPerMember), well below the total that
        // local keep-alives use too: forwarded requests, forged or not, cannot leave a local keep-alive no room.
        // Beyond it "not leader": the follower asks again at its next loop, until its own timeout.
        var inFlight = _forwardedInFlight.GetValueOrDefault(from);
        if (inFlight >= _settings.MaxForwardedPerMember)
        {
            Reply(from, new LeaseForwardAnswer { Seq = f.Seq, LeaseID = f.LeaseID, NotLeader = true }, counted: false);
            return;
        }
        _forwardedInFlight[from] = inFlight + 1;
        if (!Hold(new ForwardedLeaseRequest(from, f))) AnswerNow(from, f);
    }

    /// <summary>
    /// Sends the answer to a forwarded request to the member-table address of <paramref name="from"/> (nowhere if it
    /// is no longer a member). Every request <see cref="Answer"/> accepted ends here exactly once (counted).
    /// </summary>
    private void Reply(ulong from, LeaseForwardAnswer answer, bool counted = true)
    {
        if (counted && _forwardedInFlight.TryGetValue(from, out var n))
        {
            if (n <= 1) _forwardedInFlight.Remove(from);
            else _forwardedInFlight[from] = n - 1;
        }
        if (_peers.TryGet(from, out var reply))
            reply.Tell(new PeerEnvelope { ClusterId = _clusterId, To = from, From = _memberId, LeaseAnswer = answer }, Self);
    }

    private void AnswerNow(ulong from, LeaseForward f)
    {
        if (_lessor.IsPrimary && f.Kind == Kind.KeepAlive)
        {
            ConfirmThenRenew(new ForwardedLeaseRequest(from, f)); // answered by LeaseManagerActor.Leadership.cs
            return;
        }
        var answer = new LeaseForwardAnswer { Seq = f.Seq, LeaseID = f.LeaseID };
        if (!_lessor.IsPrimary) answer.NotLeader = true;
        else if (_lessor.TimeToLive(f.LeaseID, Now) is { } ttl)
        {
            answer.Found = true;
            answer.Ttl = ttl.Remaining;
            answer.GrantedTtl = ttl.GrantedTtl;
        }
        Reply(from, answer);
    }

    private void OnAnswer(ulong from, LeaseForwardAnswer a)
    {
        // Only an answer from the member this request went to, about the lease it named, counts (a late one from a
        // former leader does not, nor one meant for a previous incarnation that used the same number).
        if (!_pending.TryGetValue(a.Seq, out var p) || p.SentTo != from || p.LeaseId != a.LeaseID) return;
        if (a.NotLeader)
        {
            p.SentTo = 0;
            if (_leader != from) Send(a.Seq, p);
            return;
        }
        _pending.Remove(a.Seq);
        if (p.Kind == Kind.KeepAlive) p.KeepAlive!.TrySetResult(a.Ttl);
        else p.TimeToLive!.TrySetResult(a.Found ? new LeaseTimeToLive(a.GrantedTtl, a.Ttl) : null);
    }
}
