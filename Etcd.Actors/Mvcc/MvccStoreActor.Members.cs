using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Apply;
using Etcd.Actors.Cluster.Core;
using Etcd.Actors.Peer;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Mvcc;

/// <summary>
/// Membership applied in log order: conf change entries go through <see cref="MemberTable.Apply"/> (the same
/// verdict as the Raft core's <see cref="Raft.Core.ClusterConfig.Apply"/>), a member's publish through
/// <see cref="MemberTable.SetAttributes"/>. The table is written with the batch; waiters are answered after the
/// commit like every other outcome.
/// </summary>
public sealed partial class MvccStoreActor
{
    private MemberTable _members;
    // Set when the batch being applied changed the table: it is staged for the commit and announced after it.
    private bool _membersDirty;

    private void ApplyConfChange(ConfChange cc)
    {
        var context = ParseContext(cc);
        var result = _members.Apply(cc, context);
        if (!result.IsOk)
        {
            _log.Warning("refused conf change {0} of member {1:x16}: {2}", cc.Type, cc.NodeId, result.Error!.Message);
            if (cc.Id != 0) _outcomes.Add((cc.Id, new ApplyResult(null, result.Error)));
            return;
        }

        _members = result.Table;
        _membersDirty = true;
        var m = result.Member!;
        _log.Info("{0} member {1:x16} {2} in cluster {3:x16}", Verb(result.Change!.Value), m.Id, string.Join(",", m.PeerUrls), _clusterId);
        if (cc.Id != 0) _outcomes.Add((cc.Id, new ApplyResult(ConfChangeResponse(result.Change!.Value, m), null)));
    }

    private void ApplyMemberAttrSet(ulong waiterId, ClusterMemberAttrSetRequest attrs)
    {
        var next = _members.SetAttributes(attrs.MemberID, attrs.Name, attrs.ClientUrls);
        if (!ReferenceEquals(next, _members))
        {
            _members = next;
            _membersDirty = true;
            _log.Info("published {{Name:{0} ClientURLs:[{1}]}} of member {2:x16} to cluster {3:x16}",
                attrs.Name, string.Join(" ", attrs.ClientUrls), attrs.MemberID, _clusterId);
        }
        else if (!_members.Contains(attrs.MemberID))
        {
            _log.Warning("skipped attributes update of unknown or removed member {0:x16}", attrs.MemberID);
        }
        var response = new MemberListResponse { Header = _applier.Header(_term) };
        response.Members.AddRange(_members.ToProto());
        _outcomes.Add((waiterId, new ApplyResult(response, null)));
    }

    /// <summary>The entry's member; null when it has none or it cannot be read (a deterministic verdict all the same).</summary>
    private Member? ParseContext(ConfChange cc)
    {
        if (cc.Context.IsEmpty) return null;
        try
        {
            return Member.Parser.ParseFrom(cc.Context);
        }
        catch (InvalidProtocolBufferException ex)
        {
            _log.Warning("conf change {0} of member {1:x16} has an unreadable context: {2}", cc.Type, cc.NodeId, ex.Message);
            return null;
        }
    }

    /// <summary>The response etcd's cluster server gives for the change: header, the member list after it.</summary>
    private IMessage ConfChangeResponse(MemberChange change, ClusterMember m)
    {
        var header = _applier.Header(_term);
        var members = _members.ToProto();
        switch (change)
        {
            case MemberChange.Added:
            case MemberChange.AddedLearner:
            {
                // etcd's MemberAdd answers with the new member's id, peer URLs and learner flag only.
                var added = new Member { ID = m.Id, IsLearner = m.IsLearner };
                added.PeerURLs.AddRange(m.PeerUrls);
                var r = new MemberAddResponse { Header = header, Member = added };
                r.Members.AddRange(members);
                return r;
            }
            case MemberChange.Promoted:
            {
                var r = new MemberPromoteResponse { Header = header };
                r.Members.AddRange(members);
                return r;
            }
            case MemberChange.Removed:
            {
                var r = new MemberRemoveResponse { Header = header };
                r.Members.AddRange(members);
                return r;
            }
            case MemberChange.Updated:
            {
                var r = new MemberUpdateResponse { Header = header };
                r.Members.AddRange(members);
                return r;
            }
            default:
                throw new InvalidOperationException($"no response for member change {change}");
        }
    }

    private void HandleListMembers(MvccProtocol.ListMembers msg)
    {
        msg.Completion.TrySetResult(new MemberListing(Header(_term), _members.Members));
    }

    private MvccProtocol.MembersChanged MembersMessage() => new(_members.ToProto(), _members.Removed);

    /// <summary>Tells the peer transport the members' addresses (their connections pass its global inbound bounds,
    /// Peer/Transport/PeerInboundLimits.cs): on opening the backend and after a batch that changed the table. A new
    /// member's table is empty until its bootstrap entries apply: EtcdNode's seed (the initial cluster) stays till then.</summary>
    private void PublishMemberAddresses()
    {
        if (_members.Count == 0) return;
        Context.System.Settings.Setup.Get<PeerMembersSetup>().OnSuccess(s => s.Addresses.Publish(_members.Members.SelectMany(m => m.PeerUrls)));
    }

    private static string Verb(MemberChange change) => change switch
    {
        MemberChange.Added => "added",
        MemberChange.AddedLearner => "added learner",
        MemberChange.Promoted => "promoted",
        MemberChange.Removed => "removed",
        MemberChange.Updated => "updated",
        _ => change.ToString(),
    };
}
