using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Specs.Raft;

/// <summary>Membership from the hosts' side: starting a brand-new member, and stopping one that was removed.</summary>
internal sealed partial class RaftNetwork
{
    /// <summary>
    /// Starts a brand-new, empty member (etcd's <c>--initial-cluster-state existing</c>): no log, no
    /// configuration. It learns both from the leader once a conf change adds it. Only a bootstrapped network
    /// can take joiners: elsewhere the starting configuration is not in the log, so a joiner replaying the log
    /// from index 1 would see only the later changes.
    /// </summary>
    public void AddNode(ulong id)
    {
        if (!IsBootstrapped) throw new InvalidOperationException("joiners need a bootstrapped network (the configuration must be in the log)");
        AddHost(id);
        Nodes[id] = RaftNode.Create(Config(id));
        CheckAfterStep();
    }

    /// <summary>Stops a member for good (after its removal); messages to it are lost from now on.</summary>
    public void Retire(ulong id)
    {
        if (!Nodes.Remove(id)) throw new InvalidOperationException($"node {id:x} is not running");
        _outstanding.Remove(id);
        _sentEarly.Remove(id);
        _outstandingVoters.Remove(id);
        var lost = InFlight.Where(m => m.To == id).ToList();
        InFlight.RemoveAll(m => m.To == id);
        foreach (var m in lost) Lose(m);
    }

    /// <summary>
    /// The members whose removal the outstanding Ready of <paramref name="id"/> hands out for applying: a crash before
    /// <see cref="CompleteReady"/> loses that apply and the commit index behind it, though a leader's early send may
    /// already have told the removed member.
    /// </summary>
    public IEnumerable<ulong> RemovalsInOutstandingReady(ulong id) =>
        _outstanding.TryGetValue(id, out var rd)
            ? rd.CommittedEntries.Where(e => e.Type == EntryType.EntryConfChange)
                .Select(e => RaftNode.TryParseConfChange(e.Data))
                .Where(cc => cc is { Type: ConfChangeType.ConfChangeRemoveNode })
                .Select(cc => cc!.NodeId)
                .ToList()
            : [];

    public static ConfChange Change(ConfChangeType type, ulong node) => new() { Type = type, NodeId = node };

    public static ConfChange AddVoter(ulong node) => Change(ConfChangeType.ConfChangeAddNode, node);
    public static ConfChange AddLearner(ulong node) => Change(ConfChangeType.ConfChangeAddLearnerNode, node);
    public static ConfChange Remove(ulong node) => Change(ConfChangeType.ConfChangeRemoveNode, node);
}
