using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// A follower's proposals on their way to the leader, kept apart from RaftActor (no Akka, no clock: the caller
/// passes its tick count): those gathered for the next ForwardedProposals flush, and those held while no leader
/// is known. Each queue holds at most <c>maxPending</c> ("too many requests" is the caller's answer beyond);
/// a held proposal waits at most <c>noLeaderTimeoutTicks</c> from its <see cref="PendingProposal.SinceTick"/>.
/// Where this member's own proposals went is <see cref="Sent"/> (who may refuse them).
/// </summary>
internal sealed class ForwardQueues(int maxPending, int noLeaderTimeoutTicks)
{
    private readonly Queue<PendingProposal> _held = new();
    private readonly List<PendingProposal> _toForward = [];

    /// <summary>Twice <c>maxPending</c>, the waiter registry's capacity: see <see cref="ForwardedTo"/>.</summary>
    public ForwardedTo Sent { get; } = new(2 * maxPending);

    /// <summary>Notes in <see cref="Sent"/> which of <paramref name="sent"/> are this member's own (origin 0 or <paramref name="self"/>), sent to <paramref name="leader"/>.</summary>
    public void NoteSent(IEnumerable<PendingProposal> sent, ulong self, ulong leader, Func<ulong, bool> stillWaiting)
    {
        foreach (var p in sent)
            if (p.Origin == 0 || p.Origin == self) Sent.Note(p.Id, leader, stillWaiting);
    }

    public int HeldCount => _held.Count;

    public int ToForwardCount => _toForward.Count;

    /// <summary>Holds <paramref name="p"/> until a leader is known; false (nothing held) when the queue is full.</summary>
    public bool TryHold(PendingProposal p)
    {
        if (_held.Count >= maxPending) return false;
        _held.Enqueue(p);
        return true;
    }

    /// <summary>Adds <paramref name="p"/> to the next flush; false (nothing added) when the batch is full.</summary>
    public bool TryForward(PendingProposal p)
    {
        if (_toForward.Count >= maxPending) return false;
        _toForward.Add(p);
        return true;
    }

    /// <summary>The oldest held proposal, taken out (what is held again while releasing goes to the back).</summary>
    public bool TryTakeHeld(out PendingProposal p) => _held.TryDequeue(out p!);

    /// <summary>Everything gathered for the flush, in arrival order; the batch is empty afterwards.</summary>
    public PendingProposal[] TakeToForward()
    {
        var taken = _toForward.ToArray();
        _toForward.Clear();
        return taken;
    }

    /// <summary>Takes out the held proposals that waited <c>noLeaderTimeoutTicks</c> or longer; the rest keep their order.</summary>
    public List<PendingProposal>? TakeExpired(long now)
    {
        if (_held.Count == 0) return null;
        List<PendingProposal>? expired = null;
        var n = _held.Count;
        for (var i = 0; i < n; i++)
        {
            var p = _held.Dequeue();
            if (now - p.SinceTick >= noLeaderTimeoutTicks) (expired ??= []).Add(p);
            else _held.Enqueue(p);
        }
        return expired;
    }

    /// <summary>Every held proposal, taken out in order (the actor stops or restarts).</summary>
    public PendingProposal[] TakeAllHeld()
    {
        var all = _held.ToArray();
        _held.Clear();
        return all;
    }

    /// <summary>
    /// <paramref name="proposals"/> as ForwardedProposals messages, in order: a new message starts when the origin
    /// or hop count changes (the leader answers refusals to one origin per message), at <paramref name="maxEntries"/>
    /// proposals, or when the next one would pass <paramref name="maxBytes"/> of data. Origin 0 is <paramref name="self"/>.
    /// </summary>
    public static List<ForwardedProposals> Batch(IEnumerable<PendingProposal> proposals, ulong self, int maxEntries, long maxBytes)
    {
        var batches = new List<ForwardedProposals>();
        ForwardedProposals? batch = null;
        long bytes = 0;
        foreach (var p in proposals)
        {
            var origin = p.Origin == 0 ? self : p.Origin;
            if (batch is not null && (batch.From != origin || batch.Hops != p.Hops || batch.Ids.Count >= maxEntries || bytes + p.Data.Length > maxBytes))
                batch = null;
            if (batch is null)
            {
                batch = new ForwardedProposals { From = origin, Hops = (uint)p.Hops };
                batches.Add(batch);
                bytes = 0;
            }
            batch.Ids.Add(p.Id);
            batch.Data.Add(p.Data);
            bytes += p.Data.Length;
        }
        return batches;
    }
}
