namespace Etcd.Actors.Raft.Core;

/// <summary>
/// A set of voters and the majority arithmetic over it (commit index, vote tallies). It may be empty: a
/// member joining an existing cluster knows no configuration until the leader's log or snapshot tells it,
/// and an empty set can neither win an election nor commit anything.
/// </summary>
public sealed class MajorityConfig
{
    private readonly ulong[] _voters;

    public MajorityConfig(IEnumerable<ulong> voters)
    {
        _voters = voters.Distinct().Order().ToArray();
    }

    public IReadOnlyList<ulong> Voters => _voters;
    public int Quorum => _voters.Length / 2 + 1;
    public bool Contains(ulong id) => Array.IndexOf(_voters, id) >= 0;

    /// <summary>The highest index acknowledged by a quorum: sort matches descending, take the quorum-th.</summary>
    public ulong CommittedIndex(Func<ulong, ulong> matchOf)
    {
        if (_voters.Length == 0) return 0;
        Span<ulong> matches = _voters.Length <= 16 ? stackalloc ulong[_voters.Length] : new ulong[_voters.Length];
        for (var i = 0; i < _voters.Length; i++) matches[i] = matchOf(_voters[i]);
        matches.Sort();
        // Ascending order: the quorum-th largest sits at Length - Quorum.
        return matches[_voters.Length - Quorum];
    }

    public VoteResult Tally(IReadOnlyDictionary<ulong, bool> votes)
    {
        int granted = 0, rejected = 0;
        foreach (var v in _voters)
        {
            if (!votes.TryGetValue(v, out var g)) continue;
            if (g) granted++; else rejected++;
        }
        if (_voters.Length == 0) return VoteResult.Lost;
        if (granted >= Quorum) return VoteResult.Won;
        var missing = _voters.Length - granted - rejected;
        return granted + missing >= Quorum ? VoteResult.Pending : VoteResult.Lost;
    }
}
