using Etcd.Actors.Errors;

namespace Etcd.Actors.Raft;

/// <summary>
/// Proposals this member appended as leader and that are not committed yet. If it loses leadership, such an
/// entry may still be committed by a later leader, or be replaced. Seeing it replaced in our own log is not
/// enough to say it is lost: a member that still holds it may win the next election and commit it after all (five
/// members: A appends X at i and sends it to B; C wins with D and E, writes Y at i on A only, and crashes; B wins
/// with D and E and commits X). So the verdict waits for the commit index to reach the entry's index: then the
/// entry committed there is decided, and if its term is not ours (same index and term means same entry), the
/// proposal will never be applied and its waiter (here or at the forwarding member) fails at once with
/// "etcdserver: leader changed" instead of waiting out the request timeout (etcd leaves those clients to time
/// out). If it is ours, the store completes the waiter when it applies it.
/// </summary>
public sealed partial class RaftActor
{
    // (index, term) → proposal, for entries above the commit index. Keyed by both: after losing and regaining
    // leadership this member may append a new proposal at an index that still has an undecided one of an older
    // term. Bounded by the proposals appended and not yet decided.
    private readonly SortedDictionary<(ulong Index, ulong Term), PendingProposal> _appended = new();

    private void NoteAppended(ulong index, ulong term, PendingProposal p) => _appended[(index, term)] = p;

    /// <summary>
    /// Committed entries are decided: ours complete when the store applies them; a proposal whose index now holds
    /// another term's entry is refused with "leader changed".
    /// </summary>
    private void ForgetCommitted(ulong commit)
    {
        List<PendingProposal>? lost = null;
        while (_appended.Count > 0)
        {
            var ((index, ourTerm), proposal) = _appended.First();
            if (index > commit) break;
            _appended.Remove((index, ourTerm));
            // Null only if the log no longer holds the index (compacted or replaced by a snapshot): then nobody
            // here can tell, and the waiter keeps its request timeout.
            if (Node.Log.Term(index) is { } term && term != ourTerm) (lost ??= []).Add(proposal);
        }
        if (lost is not null) RefuseAll(lost, EtcdErrors.LeaderChanged);
    }
}
