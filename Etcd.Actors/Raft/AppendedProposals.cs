namespace Etcd.Actors.Raft;

/// <summary>
/// Proposals this member appended as leader and that are not committed yet, kept apart from RaftActor (no Akka). If
/// it loses leadership, such an entry may still be committed by a later leader, or be replaced. Seeing it replaced in
/// our own log is not enough to say it is lost: a member that still holds it may win the next election and commit it
/// after all (five members: A appends X at i and sends it to B; C wins with D and E, writes Y at i on A only, and
/// crashes; B wins with D and E and commits X). So the verdict waits for the commit index to reach the entry's index:
/// then the entry committed there is decided, and if its term is not ours (same index and term means same entry), the
/// proposal will never be applied and its waiter fails at once with "leader changed" (etcd leaves those clients to
/// time out). If it is ours, the store completes the waiter when it applies it.
/// </summary>
internal sealed class AppendedProposals
{
    // Keyed by (index, term): after losing and regaining leadership this member may append a new proposal at an index
    // that still has an undecided one of an older term. Bounded by the proposals appended and not yet decided.
    private readonly SortedDictionary<(ulong Index, ulong Term), PendingProposal> _appended = new();

    public int Count => _appended.Count;

    /// <summary><paramref name="proposals"/> were appended at <paramref name="first"/>, <paramref name="first"/>+1, … in <paramref name="term"/>.</summary>
    public void Appended(ulong first, ulong term, IReadOnlyList<PendingProposal> proposals)
    {
        for (var i = 0; i < proposals.Count; i++) _appended[(first + (ulong)i, term)] = proposals[i];
    }

    /// <summary>
    /// Forgets the proposals at or below <paramref name="commit"/> and returns those that are lost: the log's term at
    /// their index (<paramref name="termAt"/>) is not theirs. Null when none is. A term the log no longer knows
    /// (compacted, or replaced by a snapshot) decides nothing: that waiter keeps its request timeout.
    /// </summary>
    public List<PendingProposal>? Decide(ulong commit, Func<ulong, ulong?> termAt)
    {
        List<PendingProposal>? lost = null;
        while (_appended.Count > 0)
        {
            var ((index, ourTerm), proposal) = _appended.First();
            if (index > commit) break;
            _appended.Remove((index, ourTerm));
            if (termAt(index) is { } term && term != ourTerm) (lost ??= []).Add(proposal);
        }
        return lost;
    }
}
