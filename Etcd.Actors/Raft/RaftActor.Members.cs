using Akka.Event;
using Akka.Actor;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Who the peers are and where they listen. Raft's configuration (conf change entries) decides who is a
/// member; the addresses come from the conf change contexts as they are handed out (so a new member is
/// reachable at once) and from the member table MvccStoreActor keeps (after a restart or a snapshot).
/// This member's removal stops it after RemovedStopTicks, so the commit of its removal reaches the others.
/// </summary>
public sealed partial class RaftActor
{
    protected override void PreStart()
    {
        base.PreStart();
        // Before any committed entry: the store applies only this incarnation's batches from now on.
        _mvcc.Tell(new MvccProtocol.RaftStarted(), Self);
        _mvcc.Tell(new MvccProtocol.GetMembers(Self));
        // Only to notice a crashed leader early (see RaftNode.ForgetLeader); never to decide membership.
        Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.AssociationErrorEvent));
    }

    private MvccProtocol.MembersChanged _members = new([], []);

    /// <summary>What a joining member asks for: the cluster id and the member table as this member applied it.</summary>
    private PeerClusterInfo ClusterInfo()
    {
        var info = new PeerClusterInfo { ClusterID = _member.ClusterId };
        info.Members.AddRange(_members.Members);
        info.Removed.AddRange(_members.Removed);
        return info;
    }

    private void OnMembersChanged(MvccProtocol.MembersChanged mc)
    {
        _members = mc;
        foreach (var m in mc.Members)
            if (m.ID != _memberId) _peers.Set(m.ID, m.PeerURLs);
        foreach (var id in mc.Removed)
        {
            _removal.NoteRemoved(id);
            if (id == _memberId) continue;
            _peers.Remove(id);
            _health.Forget(id);
            _linkResets.Forget(id);
        }
        if (mc.Removed.Contains(_memberId)) OnRemoved("the member has been permanently removed from the cluster");
        if (_node is { Role: RaftRole.Leader }) TryProposeMembership();
    }

    /// <summary>New members' addresses, straight from the committed conf changes (the store learns them in parallel).</summary>
    private void NotePeersFromConfChanges(IReadOnlyList<Entry> committed)
    {
        for (var i = 0; i < committed.Count; i++)
        {
            var e = committed[i];
            if (e.Type != EntryType.EntryConfChange) continue;
            _membership.ConfChangeCommitted(e.Index);
            // The core applied an unreadable one as a no-op (RaftNode.ApplyConfChange); throwing here would stop
            // this actor on the same committed entry after every restart, on every member.
            if (RaftNode.TryParseConfChange(e.Data) is not { } cc)
            {
                _log.Error("raft {0:x16}: committed entry {1} (term {2}) is not a conf change; applied as a no-op, configuration unchanged", _memberId, e.Index, e.Term);
                continue;
            }
            if (cc.NodeId == _memberId || cc.Context.IsEmpty) continue;
            if (cc.Type is ConfChangeType.ConfChangeAddNode or ConfChangeType.ConfChangeAddLearnerNode or ConfChangeType.ConfChangeUpdateNode)
            {
                try { _peers.Set(cc.NodeId, Member.Parser.ParseFrom(cc.Context).PeerURLs); }
                catch (Google.Protobuf.InvalidProtocolBufferException) { _log.Warning("raft {0:x16}: conf change {1} has an unreadable member context", _memberId, e.Index); }
            }
        }
    }

    private void OnConfigChanged(ClusterConfig config)
    {
        foreach (var id in _peers.Ids.ToArray())
            if (!config.Contains(id)) _peers.Remove(id);
        if (_removal.LeftConfig(config.Contains(_memberId))) OnRemoved("the member has been permanently removed from the cluster");
    }

    private void OnRemoved(string reason)
    {
        if (!_removal.StartStopping(_ticks)) return;
        _log.Warning("raft {0:x16}: {1}; stopping in {2} ticks", _memberId, reason, _settings.RemovedStopTicks);
    }

    private void TickRemoval()
    {
        if (!_removal.StopDue(_ticks)) return;
        Context.System.EventStream.Publish(new RaftProtocol.MemberRemoved(_memberId));
    }

    /// <summary>Every half election timeout, a ping to every peer: see <see cref="PeerPing"/>.</summary>
    private void TickPeerPing()
    {
        TickLinkWatch();
        if (!_health.PingDue(_ticks)) return;
        foreach (var id in _peers.Ids)
            if (_peers.TryGet(id, out var peer))
                peer.Tell(new PeerEnvelope { ClusterId = _clusterId, To = id, From = _memberId, Ping = new PeerPing { From = _memberId, HearsYou = HeardRecently(id) } }, Self);
    }

    // The role the link watch last judged in (its periods restart when it changes).
    private bool _linkWatchLeading;

    /// <summary>
    /// Says when this member has long known no leader, and resets its own connection to a peer that writes to us but
    /// has long not heard us (see <see cref="PeerLinkWatch"/>): while leading, a follower that also answered none of
    /// our heartbeats; in any role, a peer whose pings say it has not heard us (our link to it is dead while its link
    /// to us carries, e.g. a connection the peer closed that our transport has not noticed).
    /// </summary>
    private void TickLinkWatch()
    {
        var node = Node;
        var watch = _health.LinkWatch;
        if (watch.LeaderlessReportDue(_ticks, node.Lead != 0 || node.Role == RaftRole.Leader) is { } ticks)
            _log.Warning("raft {0:x16}: no leader for {1} ticks ({2} at term {3}); heard within an election timeout from [{4}]",
                _memberId, ticks, node.Role, node.Term, string.Join(',', _peers.Ids.Where(HeardRecently).Select(i => i.ToString("x16"))));
        var leading = node.Role == RaftRole.Leader;
        if (leading != _linkWatchLeading)
        {
            // What counts as an answer changed (a follower's progress only while we lead): start the periods afresh.
            watch.NotLeading();
            _linkWatchLeading = leading;
        }
        foreach (var id in _peers.Ids.ToArray())
        {
            var answering = false;
            if (leading)
            {
                if (node.ProgressOf(id) is not { } pr) continue;
                answering = pr.RecentActive;
            }
            if (!watch.IsDeaf(id, _ticks, answering, HeardRecently(id), _health.HearsUs(id, _ticks))) continue;
            if (leading)
                _log.Warning("raft {0:x16}: {1:x16} writes to us but has answered none of our messages for {2} election timeouts and does not hear us; resetting the connection",
                    _memberId, id, PeerLinkWatch.DeafAfterElectionTimeouts);
            else
                _log.Warning("raft {0:x16}: {1:x16} writes to us but has not heard us for {2} election timeouts; resetting the connection",
                    _memberId, id, PeerLinkWatch.DeafAfterElectionTimeouts);
            ResetLink(id);
        }
    }

    private bool HeardRecently(ulong peer) => _health.HeardRecently(peer, _ticks);

    /// <summary>
    /// Drops every Akka.Remote connection to the peer and lets the next message dial afresh. A quarantine request
    /// WITHOUT a UID only gates (Akka.Remote's EndpointManager: "address cannot be quarantined without knowing the
    /// UID, gating instead"): it stops this address's endpoints, closing their sockets, so the peer's ends go too,
    /// and the address is dialled again after retry-gate-closed-for. Never pass a UID: that quarantines for good.
    /// </summary>
    private void ResetLink(ulong peer)
    {
        if (!_peers.TryGet(peer, out var peerRef) || ((ExtendedActorSystem)Context.System).Provider is not Akka.Remote.IRemoteActorRefProvider remote) return;
        // The quarantine stops our outbound endpoint, which Akka reports as a lost outbound association: that is our
        // own doing, not the peer going away, and must not make us forget a leader (OnTransportLost, LinkResets).
        _linkResets.Reset(peer, _ticks);
        remote.Quarantine(peerRef.Path.Address, null);
    }

    /// <summary>
    /// Honoured only from a current member of our cluster (the envelope's cluster id was checked): a member that
    /// was down while it was removed hears this from the others, whom its configuration still lists. Anyone else
    /// could otherwise make a member exit with one message.
    /// </summary>
    private void OnMemberRemovedNotice(MemberRemovedNotice n, ulong sender)
    {
        if (n.Id != _memberId) return;
        if (sender == _memberId || !IsCurrentMember(sender))
        {
            WarnRefused(sender, "a removal notice");
            return;
        }
        OnRemoved($"member {sender:x16} says this member was removed");
    }

    /// <summary>In our Raft configuration or in the member table the store applied, and not removed.</summary>
    private bool IsCurrentMember(ulong id)
    {
        if (id == 0 || _removal.IsRemoved(id)) return false;
        if (_node is { } node && node.Config.Contains(id)) return true;
        foreach (var m in _members.Members)
            if (m.ID == id) return true;
        return false;
    }
}
