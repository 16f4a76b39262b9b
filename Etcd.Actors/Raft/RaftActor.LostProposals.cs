using Etcd.Actors.Errors;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Proposals this member appended as leader and that are not committed yet. If it loses leadership, such an
/// entry may still be committed by the next leader — or be overwritten by it. When a later append puts an
/// entry of another term at its index, it is certain the proposal will never be applied, so its waiter (here
/// or at the forwarding member) fails at once with "etcdserver: leader changed" instead of waiting out the
/// request timeout. etcd leaves those clients to time out.
/// </summary>
public sealed partial class RaftActor
{
    // Index → (term, proposal); only entries above the commit index, so bounded by the uncommitted log.
    private readonly SortedDictionary<ulong, (ulong Term, PendingProposal Proposal)> _appended = new();

    private void NoteAppended(ulong index, ulong term, PendingProposal p) => _appended[index] = (term, p);

    /// <summary>Entries about to be persisted: any of ours they replace (same index, other term) is lost for good.</summary>
    private void FailOverwritten(IReadOnlyList<Entry> entries)
    {
        if (_appended.Count == 0 || entries.Count == 0) return;
        List<PendingProposal>? lost = null;
        foreach (var e in entries)
        {
            if (!_appended.TryGetValue(e.Index, out var ours) || ours.Term == e.Term) continue;
            (lost ??= []).Add(ours.Proposal);
            _appended.Remove(e.Index);
        }
        // A shorter log from the new leader also drops our entries past its last one.
        var last = entries[^1].Index;
        foreach (var index in _appended.Keys.Where(i => i > last && entries[0].Index <= i).ToArray())
        {
            (lost ??= []).Add(_appended[index].Proposal);
            _appended.Remove(index);
        }
        if (lost is not null) RefuseAll(lost, EtcdErrors.LeaderChanged);
    }

    /// <summary>Committed entries are decided: their waiters complete when the store applies them.</summary>
    private void ForgetCommitted(ulong commit)
    {
        while (_appended.Count > 0)
        {
            var first = _appended.Keys.First();
            if (first > commit) return;
            _appended.Remove(first);
        }
    }
}
