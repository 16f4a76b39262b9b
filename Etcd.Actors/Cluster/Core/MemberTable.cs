using System.Collections.Immutable;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using ApiMember = Etcd.Api.Etcdserverpb.Member;

namespace Etcd.Actors.Cluster.Core;

/// <summary>
/// The cluster's members with their names and URLs, plus the ids removed so far (etcd's RaftCluster members
/// and removed maps). Immutable: every change returns the next table. Every replica applies the same committed
/// conf changes in log order, so every replica holds the same table for every index.
///
/// Whether a conf change applies is decided by <see cref="ClusterConfig.Apply"/> on this table's own voters and
/// learners — the very rule the Raft core uses — so the table never disagrees with Raft's configuration
/// (an invariant checked after every change). The extra checks etcd makes (removed ids, peer URLs in use, the
/// learner limit) are leader-side validation in <see cref="MembershipRules"/>; a change that slipped past them
/// (two racing proposals) is still applied here exactly as Raft applies it.
/// </summary>
public sealed partial class MemberTable
{
    private readonly ImmutableSortedDictionary<ulong, ClusterMember> _members;
    private readonly ImmutableSortedSet<ulong> _removed;

    private MemberTable(ImmutableSortedDictionary<ulong, ClusterMember> members, ImmutableSortedSet<ulong> removed)
    {
        _members = members;
        _removed = removed;
    }

    /// <summary>A table from stored rows; fails loudly on id 0, duplicate ids, or an id both present and removed.</summary>
    public MemberTable(IEnumerable<ClusterMember> members, IEnumerable<ulong> removed)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<ulong, ClusterMember>();
        foreach (var m in members)
        {
            if (m.Id == 0) throw new InvalidOperationException("member id 0 in the member table");
            if (!b.TryAdd(m.Id, m)) throw new InvalidOperationException($"member {m.Id:x} twice in the member table");
        }
        _members = b.ToImmutable();
        _removed = removed.ToImmutableSortedSet();
        foreach (var id in _removed)
            if (_members.ContainsKey(id)) throw new InvalidOperationException($"member {id:x} is both present and removed");
    }

    public static MemberTable Empty { get; } = new(ImmutableSortedDictionary<ulong, ClusterMember>.Empty, ImmutableSortedSet<ulong>.Empty);

    /// <summary>Every member, ordered by id (etcd's MembersByID).</summary>
    public IReadOnlyList<ClusterMember> Members => _members.Values.ToList();

    /// <summary>Ids removed from the cluster, ascending; they can never join again.</summary>
    public IReadOnlyList<ulong> Removed => _removed.ToList();

    public int Count => _members.Count;

    public IEnumerable<ClusterMember> Voters => _members.Values.Where(m => !m.IsLearner);

    public IEnumerable<ClusterMember> Learners => _members.Values.Where(m => m.IsLearner);

    public ClusterMember? Find(ulong id) => _members.GetValueOrDefault(id);

    public bool Contains(ulong id) => _members.ContainsKey(id);

    public bool IsRemoved(ulong id) => _removed.Contains(id);

    /// <summary>The Raft configuration this table describes.</summary>
    public ClusterConfig ToConfig() => new(Voters.Select(m => m.Id), Learners.Select(m => m.Id));

    /// <summary>
    /// Applies one committed conf change. <paramref name="context"/> is the member carried by the entry (for
    /// AddNode, AddLearnerNode and UpdateNode), null when absent or unreadable. Refused exactly when
    /// <see cref="ClusterConfig.Apply"/> refuses, with the etcd error that describes why.
    /// </summary>
    public MemberApplyResult Apply(ConfChange cc, ApiMember? context)
    {
        ArgumentNullException.ThrowIfNull(cc);
        var config = ToConfig();
        var next = config.Apply(cc);
        if (next is null) return MemberApplyResult.Refused(this, RefusalOf(cc, config));

        var id = cc.NodeId;
        MemberApplyResult result;
        switch (cc.Type)
        {
            case ConfChangeType.ConfChangeAddNode when config.IsPromotion(cc):
            {
                var promoted = _members[id] with { IsLearner = false };
                result = new(With(promoted), MemberChange.Promoted, promoted, null);
                break;
            }
            case ConfChangeType.ConfChangeAddNode:
            case ConfChangeType.ConfChangeAddLearnerNode:
            {
                var learner = cc.Type == ConfChangeType.ConfChangeAddLearnerNode;
                var added = new ClusterMember(id, context?.Name ?? "", Copy(context?.PeerURLs), Copy(context?.ClientURLs), learner);
                // Raft re-admitted an id the leader should have refused (a race past validation): follow Raft,
                // so the id leaves the removed set and the table stays a faithful picture of the configuration.
                result = new(new MemberTable(_members.SetItem(id, added), _removed.Remove(id)),
                    learner ? MemberChange.AddedLearner : MemberChange.Added, added, null);
                break;
            }
            case ConfChangeType.ConfChangeRemoveNode:
            {
                var gone = _members[id];
                result = new(new MemberTable(_members.Remove(id), _removed.Add(id)), MemberChange.Removed, gone, null);
                break;
            }
            case ConfChangeType.ConfChangeUpdateNode:
            {
                var current = _members[id];
                // UpdateNode carries only Raft attributes: peer URLs change, name and client URLs stay.
                var updated = context is null ? current : current with { PeerUrls = Copy(context.PeerURLs) };
                result = new(With(updated), MemberChange.Updated, updated, null);
                break;
            }
            default:
                throw new InvalidOperationException($"ClusterConfig accepted a conf change of unknown type {cc.Type}");
        }

        var reached = result.Table.ToConfig();
        if (!reached.Equals(next))
            throw new InvalidOperationException($"member table diverged from the Raft configuration after {cc.Type} {id:x}: {reached} vs {next}");
        return result;
    }

    /// <summary>
    /// etcd's publish: a running member sets its name and client URLs. An unknown or removed id is ignored
    /// (the member may have been removed while its publish was in flight); the same table comes back then.
    /// </summary>
    public MemberTable SetAttributes(ulong id, string name, IEnumerable<string> clientUrls)
    {
        if (!_members.TryGetValue(id, out var current)) return this;
        var updated = current with { Name = name, ClientUrls = clientUrls.ToArray() };
        return updated.Equals(current) ? this : With(updated);
    }

    private MemberTable With(ClusterMember m) => new(_members.SetItem(m.Id, m), _removed);

    private static string[] Copy(IEnumerable<string>? urls) => urls is null ? [] : urls.ToArray();

    /// <summary>Why ClusterConfig refused <paramref name="cc"/>, in etcd's words (same order of checks as Apply).</summary>
    private EtcdError RefusalOf(ConfChange cc, ClusterConfig config)
    {
        var id = cc.NodeId;
        if (id == 0) return EtcdErrors.MemberNotFound; // no member can have id 0 (etcd: "cannot use 0 as member id")
        return cc.Type switch
        {
            ConfChangeType.ConfChangeAddNode or ConfChangeType.ConfChangeAddLearnerNode => EtcdErrors.MemberExist,
            ConfChangeType.ConfChangeRemoveNode when config.Contains(id) => EtcdErrors.MemberNotEnoughStarted, // the last voter
            ConfChangeType.ConfChangeRemoveNode or ConfChangeType.ConfChangeUpdateNode => EtcdErrors.MemberNotFound,
            _ => EtcdErrors.NotCapable,
        };
    }

    public override string ToString() =>
        $"members=[{string.Join(' ', _members.Values)}] removed=[{string.Join(' ', _removed.Select(r => r.ToString("x")))}]";
}
