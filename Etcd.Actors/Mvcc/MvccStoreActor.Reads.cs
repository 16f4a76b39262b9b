using Etcd.Actors.Errors;

namespace Etcd.Actors.Mvcc;

/// <summary>Linearizable reads that wait for the applied index to reach their read index.</summary>
public sealed partial class MvccStoreActor
{
    // Ordered by index (stable for equal indexes); almost always appended at the end since read indexes
    // only grow, so insertion is a short backwards scan.
    private readonly List<MvccProtocol.ReadAt> _pendingReads = new();

    private void HandleReadAt(MvccProtocol.ReadAt msg)
    {
        if (!FromCurrentRaft)
        {
            // Its RaftActor stopped (and failed its own waiters with the same error); its term is not ours to take.
            foreach (var read in msg.Reads) read.Completion.TrySetException(EtcdErrors.Stopped.ToException());
            return;
        }
        if (msg.Term > _term) _term = msg.Term;
        if (msg.Index <= _applied)
        {
            ServeAll(msg);
            return;
        }
        if (_pendingReads.Count >= MaxPendingReadBatches)
        {
            foreach (var read in msg.Reads) read.Completion.TrySetException(EtcdErrors.TooManyRequests.ToException());
            return;
        }
        var at = _pendingReads.Count;
        while (at > 0 && _pendingReads[at - 1].Index > msg.Index) at--;
        _pendingReads.Insert(at, msg);
    }

    private void ServeReadyReads()
    {
        var n = 0;
        while (n < _pendingReads.Count && _pendingReads[n].Index <= _applied)
        {
            ServeAll(_pendingReads[n]);
            n++;
        }
        if (n > 0) _pendingReads.RemoveRange(0, n);
    }

    private void ServeAll(MvccProtocol.ReadAt batch)
    {
        var reads = batch.Reads;
        for (var i = 0; i < reads.Count; i++) Serve(reads[i]);
    }

    private void FailAllPendingReads(EtcdError error)
    {
        foreach (var batch in _pendingReads)
            foreach (var read in batch.Reads)
                read.Completion.TrySetException(error.ToException());
        _pendingReads.Clear();
    }
}
