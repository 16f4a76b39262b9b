using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// Who takes part in Raft: voters (elect and commit) and learners (receive the log, never vote or count
/// towards a quorum). Immutable; a committed <see cref="ConfChange"/> yields the next configuration through
/// <see cref="Apply"/>, which is the one rule every member uses (the Raft core for its quorum, the MVCC
/// member table for names and URLs), so all members agree on every configuration for every index.
/// Single-step changes only: one member added, removed or promoted per change, as etcd 3.4 does.
/// </summary>
public sealed class ClusterConfig : IEquatable<ClusterConfig>
{
    private readonly ulong[] _voters;
    private readonly ulong[] _learners;

    public ClusterConfig(IEnumerable<ulong> voters, IEnumerable<ulong>? learners = null)
    {
        _voters = voters.Distinct().Order().ToArray();
        _learners = (learners ?? []).Distinct().Order().ToArray();
        if (_voters.Contains(0UL) || _learners.Contains(0UL)) throw new RaftInvariantException("member id 0 in a configuration");
        if (_voters.Intersect(_learners).Any()) throw new RaftInvariantException("a member cannot be both voter and learner");
    }

    public static ClusterConfig Empty { get; } = new([]);

    public static ClusterConfig From(ConfState? state) =>
        state is null ? Empty : new ClusterConfig(state.Voters, state.Learners);

    public IReadOnlyList<ulong> Voters => _voters;
    public IReadOnlyList<ulong> Learners => _learners;
    public bool IsEmpty => _voters.Length == 0 && _learners.Length == 0;

    public bool IsVoter(ulong id) => Array.BinarySearch(_voters, id) >= 0;
    public bool IsLearner(ulong id) => Array.BinarySearch(_learners, id) >= 0;
    public bool Contains(ulong id) => IsVoter(id) || IsLearner(id);

    /// <summary>Every member, voters first.</summary>
    public IEnumerable<ulong> All => _voters.Concat(_learners);

    public ConfState ToConfState()
    {
        var s = new ConfState();
        s.Voters.AddRange(_voters);
        s.Learners.AddRange(_learners);
        return s;
    }

    /// <summary>
    /// The configuration after <paramref name="cc"/>, or null when the change is not applicable to this
    /// configuration (adding a present voter, removing an absent member, removing the last voter, id 0).
    /// A refused change leaves the configuration as it is on every member alike.
    /// <list type="bullet">
    /// <item>AddNode: a new voter, or the promotion of a learner.</item>
    /// <item>AddLearnerNode: a new learner (not if already a member).</item>
    /// <item>RemoveNode: a voter or learner leaves.</item>
    /// <item>UpdateNode: a present member's attributes change; the configuration stays the same.</item>
    /// </list>
    /// </summary>
    public ClusterConfig? Apply(ConfChange cc)
    {
        ArgumentNullException.ThrowIfNull(cc);
        var id = cc.NodeId;
        if (id == 0) return null;
        switch (cc.Type)
        {
            case ConfChangeType.ConfChangeAddNode:
                if (IsVoter(id)) return null;
                return new ClusterConfig(_voters.Append(id), _learners.Where(l => l != id));
            case ConfChangeType.ConfChangeAddLearnerNode:
                if (Contains(id)) return null;
                return new ClusterConfig(_voters, _learners.Append(id));
            case ConfChangeType.ConfChangeRemoveNode:
                if (!Contains(id)) return null;
                if (IsVoter(id) && _voters.Length == 1) return null;
                return new ClusterConfig(_voters.Where(v => v != id), _learners.Where(l => l != id));
            case ConfChangeType.ConfChangeUpdateNode:
                return Contains(id) ? this : null;
            default:
                return null;
        }
    }

    /// <summary>True when <paramref name="cc"/> turns a learner into a voter (an AddNode for a present learner).</summary>
    public bool IsPromotion(ConfChange cc) => cc.Type == ConfChangeType.ConfChangeAddNode && IsLearner(cc.NodeId);

    public bool Equals(ClusterConfig? other) =>
        other is not null && _voters.AsSpan().SequenceEqual(other._voters) && _learners.AsSpan().SequenceEqual(other._learners);

    public override bool Equals(object? obj) => obj is ClusterConfig c && Equals(c);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var v in _voters) h.Add(v);
        h.Add(-1);
        foreach (var l in _learners) h.Add(l);
        return h.ToHashCode();
    }

    public override string ToString() =>
        $"voters=({string.Join(' ', _voters.Select(v => v.ToString("x")))}) learners=({string.Join(' ', _learners.Select(v => v.ToString("x")))})";
}
