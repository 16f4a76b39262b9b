namespace Etcd.Actors.Raft;

/// <summary>
/// RaftActor's Ready loop between <c>PersistAllAsync</c> and its completion, kept apart from the actor (no Akka):
/// whether a ProcessReady is already queued (one at a time, however many events asked for it), whether a journal
/// write is in flight (no next Ready until it completes: group commit), and the proposals that write carries, which
/// decide what their clients hear if it fails (RaftActor.Failure.cs): once the write began they may be in the log
/// on disk, and once the leader sent them early they may be in its followers' logs.
/// </summary>
internal sealed class WriteCycle
{
    private readonly List<PendingProposal> _carried = [];

    /// <summary>A ProcessReady is queued in the mailbox.</summary>
    public bool Scheduled { get; private set; }

    /// <summary>A journal write is in flight: the next Ready waits for it.</summary>
    public bool InFlight { get; private set; }

    /// <summary>Some of the current Ready's messages went out before its write (its entries may be on followers).</summary>
    public bool SentEarly { get; private set; }

    /// <summary>The proposals appended into the core for the current Ready.</summary>
    public IReadOnlyList<PendingProposal> Carried => _carried;

    // Debug statistics: how much work one journal write carries.
    public long Readies { get; private set; }
    public long Writes { get; private set; }
    public long Sent { get; private set; }

    /// <summary>True when a ProcessReady must be sent (none is queued yet).</summary>
    public bool Schedule()
    {
        if (Scheduled) return false;
        Scheduled = true;
        return true;
    }

    /// <summary>The queued ProcessReady runs; whether the loop may take a Ready now (no write in flight).</summary>
    public void Run() => Scheduled = false;

    /// <summary>Proposals the core appended; they ride with the next write.</summary>
    public void Carry(IEnumerable<PendingProposal> proposals) => _carried.AddRange(proposals);

    /// <summary>A Ready is being handled; <paramref name="sentEarly"/> when some of its messages already left.</summary>
    public void Begin(bool sentEarly)
    {
        if (InFlight) throw new InvalidOperationException("a Ready taken while a journal write is in flight");
        Readies++;
        SentEarly = sentEarly;
    }

    /// <summary>Its journal write starts: nothing further until <see cref="Durable"/>.</summary>
    public void Write()
    {
        InFlight = true;
        Writes++;
    }

    public void Sending(int messages) => Sent += messages;

    /// <summary>The write is durable (or there was none): what it carried is in the log on disk.</summary>
    public void Durable()
    {
        InFlight = false;
        SentEarly = false;
        _carried.Clear();
    }

    /// <summary>The proposals of a write that failed or never finished, taken out (their answer is the caller's).</summary>
    public PendingProposal[] TakeCarried()
    {
        var carried = _carried.ToArray();
        _carried.Clear();
        return carried;
    }

    public string Describe() => $"readies={Readies} writes={Writes} sent={Sent} writeInFlight={InFlight}";
}
