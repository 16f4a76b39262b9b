using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// The leader's proposals waiting for the next group commit, kept apart from RaftActor (no Akka): flow control on
/// the way in, and batches of at most <c>maxBatchEntries</c> and <c>maxBatchBytes</c> (one proposal always fits)
/// on the way out, in arrival order. A batch is stepped into the core as one append, one journal write and one
/// MsgApp per follower; only once the core took it are its proposals removed (<see cref="TakeBatch"/>), so a batch
/// the core refuses (a leader transfer under way) stays queued for whoever leads next.
/// </summary>
internal sealed class ProposalBatcher(int maxPending, int maxCommittedUnapplied, int maxBatchEntries, long maxBatchBytes)
{
    private Queue<PendingProposal> _queued = new();
    private readonly List<ByteString> _batch = [];
    // How many queued proposals are bound to a leadership term (RaftProtocol.Propose.LeaderTerm): 0 keeps
    // DropTermBound off the hot path.
    private int _termBound;

    public int Count => _queued.Count;

    /// <summary>Proposals handed to the core so far (a debug statistic).</summary>
    public long Proposed { get; private set; }

    /// <summary>
    /// Queues <paramref name="p"/>; false (nothing queued) when the queue holds <c>maxPending</c> or the store lags the
    /// commit index by more than <c>maxCommittedUnapplied</c> (etcd's "too many requests" in both cases).
    /// </summary>
    public bool TryEnqueue(PendingProposal p, ulong commitIndex, ulong appliedIndex)
    {
        if (_queued.Count >= maxPending || commitIndex > appliedIndex + (ulong)maxCommittedUnapplied) return false;
        _queued.Enqueue(p);
        if (p.LeaderTerm != 0) _termBound++;
        return true;
    }

    /// <summary>Removes the queued proposals bound to a leadership of another term than <paramref name="term"/>, and returns them.</summary>
    public IReadOnlyList<PendingProposal> DropTermBound(ulong term)
    {
        if (_termBound == 0) return [];
        var dropped = new List<PendingProposal>();
        var kept = new Queue<PendingProposal>(_queued.Count);
        foreach (var p in _queued)
        {
            if (p.LeaderTerm != 0 && p.LeaderTerm != term) dropped.Add(p);
            else kept.Enqueue(p);
        }
        _queued = kept;
        _termBound -= dropped.Count;
        _batch.Clear();
        return dropped;
    }

    /// <summary>The data of the next batch, oldest first (a list reused until <see cref="TakeBatch"/>, which takes it).</summary>
    public IReadOnlyList<ByteString> NextBatch()
    {
        _batch.Clear();
        long bytes = 0;
        foreach (var p in _queued)
        {
            if (_batch.Count >= maxBatchEntries) break;
            if (_batch.Count > 0 && bytes + p.Data.Length > maxBatchBytes) break;
            _batch.Add(p.Data);
            bytes += p.Data.Length;
        }
        return _batch;
    }

    /// <summary>The core appended the batch <see cref="NextBatch"/> gave: its proposals, taken out in that order.</summary>
    public PendingProposal[] TakeBatch()
    {
        if (_batch.Count > _queued.Count) throw new InvalidOperationException("batch taken after the queue was emptied");
        var taken = new PendingProposal[_batch.Count];
        for (var i = 0; i < taken.Length; i++)
        {
            taken[i] = _queued.Dequeue();
            if (taken[i].LeaderTerm != 0) _termBound--;
        }
        _batch.Clear();
        Proposed += taken.Length;
        return taken;
    }

    /// <summary>Everything queued (stepping down, stopping), oldest first; the queue is empty afterwards.</summary>
    public PendingProposal[] TakeAll()
    {
        var all = _queued.ToArray();
        _queued.Clear();
        _batch.Clear();
        _termBound = 0;
        return all;
    }
}
