namespace Etcd.Actors.Raft;

/// <summary>
/// Which member each of this member's own forwarded proposals (and membership changes) was last sent to, so that
/// only that member may refuse it (a <c>ProposalsRefused</c> fails this member's waiters by id). Ids are not
/// secret: without this, any current member could fail any waiter here. A refusal of an id that was not
/// forwarded to its sender is ignored and the waiter keeps waiting for its entry or its timeout, which is what
/// etcd's clients get for a proposal lost on its way (etcd never refuses a forwarded MsgProp either).
/// <para>
/// Bounded at <c>capacity</c> entries. Entries of waiters that completed otherwise (applied, timed out) are not
/// removed one by one: when the table is full they are pruned with the caller's <c>stillWaiting</c>; with
/// capacity at least twice the waiter registry's, a prune frees at least half. Should it still be full, the new
/// id is not recorded (its refusal will be ignored, its client times out). No Akka, no clock: owned by one actor.
/// </para>
/// </summary>
public sealed class ForwardedTo(int capacity)
{
    private readonly Dictionary<ulong, ulong> _to = new();

    public int Count => _to.Count;

    /// <summary>This member's waiter <paramref name="id"/> was sent to <paramref name="member"/> (a re-forward replaces the member).</summary>
    public void Note(ulong id, ulong member, Func<ulong, bool> stillWaiting)
    {
        if (_to.Count >= capacity && !_to.ContainsKey(id))
        {
            foreach (var known in _to.Keys.ToArray())
                if (!stillWaiting(known)) _to.Remove(known);
            if (_to.Count >= capacity) return;
        }
        _to[id] = member;
    }

    /// <summary>
    /// The ids of <paramref name="ids"/> that were forwarded to <paramref name="sender"/>, taken out (each may be
    /// refused once); <paramref name="ignored"/> counts the rest.
    /// </summary>
    public List<ulong> TakeRefusable(ulong sender, IEnumerable<ulong> ids, out int ignored)
    {
        var accepted = new List<ulong>();
        ignored = 0;
        foreach (var id in ids)
        {
            if (_to.TryGetValue(id, out var to) && to == sender)
            {
                _to.Remove(id);
                accepted.Add(id);
            }
            else ignored++;
        }
        return accepted;
    }
}
