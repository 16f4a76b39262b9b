using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Specs.Raft;

/// <summary>
/// Raft's safety properties (Raft paper, figure 3), checked as the network runs:
/// <list type="bullet">
/// <item>Election safety: at most one leader per term (checked after every step).</item>
/// <item>Log matching: two durable logs with an entry of the same index and term agree on every entry up to
/// it (checked whenever a log is written).</item>
/// <item>Leader completeness: a new leader's log holds every entry committed in an earlier term (checked after
/// every step, for each leader seen for the first time).</item>
/// <item>State machine safety: every node applies the same entry at each index (checked on every apply and
/// snapshot install, against one ledger of everything applied anywhere).</item>
/// <item>Linearizable reads: a ReadState's index covers every commit known anywhere when it was requested.</item>
/// </list>
/// A violation throws <see cref="InvalidOperationException"/> at the step that caused it.
/// </summary>
internal sealed partial class RaftNetwork
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = new();

    // Every entry applied by any node, by index, with an upper bound of the term it was committed in: the
    // lowest term any node had when applying it (a node learns of a commit in its term or later).
    private readonly List<(Entry Entry, ulong CommitTerm)> _ledger = [];

    // Read contexts requested and not yet answered -> the highest commit index any node knew at the request.
    private readonly Dictionary<ByteString, ulong> _readFloors = new();

    /// <summary>How many entries are applied somewhere (all of them committed).</summary>
    public int LedgerCount => _ledger.Count;

    /// <summary>The entry applied at <paramref name="index"/> (1-based) by every node that applied it.</summary>
    public Entry LedgerAt(ulong index) => _ledger[(int)index - 1].Entry;

    /// <summary>Leaders seen so far, by term.</summary>
    public IReadOnlyDictionary<ulong, ulong> LeaderOfTerm => _leaderOfTerm;

    private void CheckAfterStep()
    {
        foreach (var (id, n) in Nodes)
        {
            if (n.Role != RaftRole.Leader) continue;
            if (_leaderOfTerm.TryGetValue(n.Term, out var other))
            {
                if (other != id) throw new InvalidOperationException($"election safety violated: {other:x} and {id:x} both lead term {n.Term}");
                continue;
            }
            _leaderOfTerm[n.Term] = id;
            CheckLeaderCompleteness(n);
        }
    }

    private void CheckLeaderCompleteness(RaftNode leader)
    {
        var log = leader.Log;
        var snapIndex = log.FirstIndex - 1;
        foreach (var (e, commitTerm) in _ledger)
        {
            // Committed in this term or later (as far as we know): not yet required of this leader. Entries
            // inside its snapshot are covered by state machine safety.
            if (commitTerm >= leader.Term || e.Index < snapIndex) continue;
            if (log.Term(e.Index) != e.Term)
                throw new InvalidOperationException(
                    $"leader completeness violated: {leader.Id:x} leads term {leader.Term} without committed entry {Show(e)} (committed by term {commitTerm}); its log has term {log.Term(e.Index)?.ToString() ?? "none"}");
        }
    }

    private void RecordApplied(ulong id, Entry e, ulong term)
    {
        var at = (int)e.Index - 1;
        if (at < _ledger.Count)
        {
            var (known, commitTerm) = _ledger[at];
            if (!SameEntry(known, e))
                throw new InvalidOperationException($"state machine safety violated at index {e.Index}: node {id:x} applied {Show(e)}, others applied {Show(known)}");
            if (term < commitTerm) _ledger[at] = (known, term);
            return;
        }
        if (at != _ledger.Count) throw new InvalidOperationException($"node {id:x} applied {e.Index} but nothing is known applied after {_ledger.Count}");
        _ledger.Add((e.Clone(), term));
    }

    private void RecordInstalled(ulong id, IReadOnlyList<Entry> data)
    {
        // A snapshot is data some node applied: it must be a prefix of the ledger.
        if (data.Count > _ledger.Count) throw new InvalidOperationException($"node {id:x} installed a snapshot beyond anything applied ({data.Count} > {_ledger.Count})");
        for (var i = 0; i < data.Count; i++)
            if (!SameEntry(data[i], _ledger[i].Entry))
                throw new InvalidOperationException($"state machine safety violated: node {id:x} installed {Show(data[i])} where others applied {Show(_ledger[i].Entry)}");
    }

    /// <summary>Log matching between <paramref name="id"/>'s durable log and every other durable log.</summary>
    private void CheckLogMatching(ulong id)
    {
        var a = Durable[id];
        foreach (var (other, b) in Durable)
        {
            if (other == id) continue;
            var lo = Math.Max(a.SnapshotIndex, b.SnapshotIndex);
            var hi = Math.Min(a.LastIndex, b.LastIndex);
            if (hi < lo) continue;
            // The highest index where both logs have the same term: everything from lo up to it must agree.
            var top = hi;
            while (top > lo && a.Term(top) != b.Term(top)) top--;
            if (a.Term(top) != b.Term(top)) continue;
            for (var i = top; i > lo; i--)
            {
                var (ea, eb) = (a.At(i)!, b.At(i)!);
                if (!SameEntry(ea, eb))
                    throw new InvalidOperationException(
                        $"log matching violated: {id:x} and {other:x} agree at {top} (term {a.Term(top)}) but differ at {i}: {Show(ea)} vs {Show(eb)}");
            }
        }
    }

    /// <summary>
    /// Nothing a member sends may vouch for more than is durable. A message of a term the sender has not made
    /// durable would survive a crash that brings the sender back at the older term, free to lead (or vote in) that
    /// term a second time. A commit index sent before the sender's write is durable must not rest on that write:
    /// either the sender already has the entry on disk, or a quorum of the voters it counted with has (without the
    /// sender) — otherwise a crash mid-write lets others apply what the sender then loses.
    /// </summary>
    private void CheckSentDurably(ulong id, Message m, IReadOnlyList<ulong> voters, bool early)
    {
        var when = early ? "before its write was durable" : "after its write";
        var sender = Durable[id];
        // Pre-votes are for a term nobody has entered yet.
        if (m.Term > sender.Hard.Term && m.Type is not (MessageType.MsgPreVote or MessageType.MsgPreVoteResp))
            throw new InvalidOperationException($"durability violated: {id:x} sent {m.Type} of term {m.Term} to {m.To:x} {when}, but its durable term is {sender.Hard.Term}");
        if (!early || m.Commit == 0) return;
        // Compacted away on the sender: it was applied, so the ledger has it.
        var term = Nodes[id].Log.Term(m.Commit) ?? (m.Commit <= (ulong)_ledger.Count ? _ledger[(int)m.Commit - 1].Entry.Term : null);
        bool OnDisk(DurableState d) => m.Commit <= d.SnapshotIndex || (term is { } t && d.Term(m.Commit) == t);
        if (OnDisk(sender)) return;
        var have = voters.Count(v => Durable.TryGetValue(v, out var d) && OnDisk(d));
        if (have <= voters.Count / 2)
            throw new InvalidOperationException(
                $"durability violated: {id:x} sent {m.Type} to {m.To:x} with commit {m.Commit} {when}, which is not on its disk and only on {have} of voters ({string.Join(' ', voters)})");
    }

    private void RecordReadRequest(ByteString context)
    {
        var floor = Nodes.Values.Select(n => n.CommitIndex).DefaultIfEmpty(0UL).Max();
        _readFloors.TryAdd(context, floor);
    }

    private void CheckReadStates(IReadOnlyList<ReadState> states)
    {
        foreach (var rs in states)
        {
            if (!_readFloors.TryGetValue(rs.Context, out var floor)) continue;
            if (rs.Index < floor)
                throw new InvalidOperationException($"linearizability violated: read '{rs.Context.ToStringUtf8()}' got index {rs.Index} but {floor} was committed before it was asked");
        }
    }

    private static bool SameEntry(Entry a, Entry b) => a.Index == b.Index && a.Term == b.Term && a.Type == b.Type && a.Data == b.Data;

    private static string Show(Entry e) => $"{e.Term}/{e.Index}:{e.Type}:{e.Data.ToStringUtf8()}";
}
