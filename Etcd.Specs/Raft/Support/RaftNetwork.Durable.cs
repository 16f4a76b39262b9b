using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Specs.Raft;

/// <summary>
/// Durable state, snapshots and crash-restart: what each simulated host writes, how a snapshot's data
/// travels beside its MsgSnap, and how a node comes back from its disk.
/// </summary>
internal sealed partial class RaftNetwork
{
    // State machine data of a MsgSnap in transit, captured when the sender's host sent it:
    // (from, to, index, term) -> the sender's applied entries up to the snapshot index.
    private readonly Dictionary<(ulong From, ulong To, ulong Index, ulong Term), List<Entry>> _streams = new();

    // Snapshot data a node has received completely, waiting for its Ready.Snapshot: (node, index, term) -> data.
    private readonly Dictionary<(ulong Node, ulong Index, ulong Term), List<Entry>> _received = new();

    /// <summary>Replaces a node's durable state before it is (re)started; for divergent-log scenarios.</summary>
    public void Recover(ulong id, HardState hard, IEnumerable<Entry> log)
    {
        var d = new DurableState { Hard = hard.Clone() };
        d.Log.AddRange(log.Select(e => e.Clone()));
        Durable[id] = d;
        Restart(id);
    }

    /// <summary>
    /// Crash and restart: volatile state is lost (messages on their way to it too), the node comes back from
    /// its durable state and its state machine from the durable snapshot.
    /// </summary>
    public void Restart(ulong id)
    {
        if (!Nodes.ContainsKey(id)) throw new InvalidOperationException($"node {id:x} is not running");
        var d = Durable[id];
        // A crash during a write loses the write: the Ready never happened on disk (what a leader sent before
        // it stays sent).
        if (_outstanding.Remove(id)) CrashesMidWrite++;
        if (_sentEarly.Remove(id)) CrashesAfterEarlySend++;
        _outstandingVoters.Remove(id);
        var lost = InFlight.Where(m => m.To == id).ToList();
        InFlight.RemoveAll(m => m.To == id);
        Applied[id] = d.SnapshotData.Select(e => e.Clone()).ToList();
        // A starting member that crashed before its first write has nothing on disk and starts anew, as etcd
        // bootstraps again when it finds no WAL.
        var fresh = IsBootstrapped && d.Log.Count == 0 && d.Snapshot is null && _bootstrapPeers.Any(p => p.NodeId == id);
        Nodes[id] = fresh
            ? RaftNode.Bootstrap(Config(id), _bootstrapPeers)
            : RaftNode.Create(Config(id), new RaftRecoveredState(d.Hard.Clone(), d.Log.Select(e => e.Clone()).ToList(), d.Snapshot?.Clone()));
        foreach (var m in lost) Lose(m);
        CheckAfterStep();
    }

    /// <summary>
    /// The host's periodic snapshot: saves the state machine at <paramref name="index"/> (at most the applied
    /// and durable index) with the core's metadata for it, drops the durable entries it covers and compacts the
    /// in-memory log. Returns the index compacted to, or null when there was nothing to compact.
    /// </summary>
    public ulong? Compact(ulong id, ulong index)
    {
        var node = Nodes[id];
        var to = Math.Min(index, Math.Min(node.AppliedIndex, node.Log.StableLastIndex));
        if (to < node.Log.FirstIndex) return null;
        var meta = node.SnapshotMetadataAt(to);
        var d = Durable[id];
        if (Applied[id].Count < (int)to) throw new InvalidOperationException($"node {id:x} compacts to {to} but applied only {Applied[id].Count}");
        if (d.Term(to) != meta.Term) throw new InvalidOperationException($"node {id:x}: core term {meta.Term} at {to} differs from the durable log");
        d.Snapshot = meta;
        d.SnapshotData = Applied[id].Take((int)to).Select(e => e.Clone()).ToList();
        d.Log.RemoveAll(e => e.Index <= to);
        node.CompactLog(to);
        if (node.Log.FirstIndex != to + 1) throw new InvalidOperationException($"node {id:x} compacted to {node.Log.FirstIndex - 1}, expected {to}");
        return to;
    }

    private void CaptureSnapshot(Message m)
    {
        var meta = m.Snapshot?.Metadata ?? throw new InvalidOperationException($"MsgSnap from {m.From:x} without metadata");
        var applied = Applied[m.From];
        if (applied.Count < (int)meta.Index)
            throw new InvalidOperationException($"node {m.From:x} sends a snapshot at {meta.Index} but its state machine is at {applied.Count}");
        Events?.Invoke($"{m.From} streams snapshot index={meta.Index} term={meta.Term} to {m.To}");
        _streams[(m.From, m.To, meta.Index, meta.Term)] = applied.Take((int)meta.Index).Select(e => e.Clone()).ToList();
    }

    private void StreamSnapshot(Message m)
    {
        var meta = m.Snapshot.Metadata;
        if (!_streams.TryGetValue((m.From, m.To, meta.Index, meta.Term), out var data))
            throw new InvalidOperationException($"MsgSnap {m.From:x}->{m.To:x} at {meta.Index} was never sent by a host");
        _received[(m.To, meta.Index, meta.Term)] = data;
    }

    private void Persist(ulong id, Ready rd)
    {
        var d = Durable[id];
        var durableCommit = d.Hard.Commit;
        if (rd.Snapshot is { } meta)
        {
            // A restored snapshot replaces the whole log: every old entry either conflicts with it or is covered.
            if (meta.Index <= durableCommit) throw new InvalidOperationException($"node {id:x} restores snapshot {meta.Index} at or below its durable commit {durableCommit}");
            d.Snapshot = meta.Clone();
            d.SnapshotData = ReceivedData(id, meta);
            d.Log.Clear();
        }
        if (rd.HardState is { } hs)
        {
            if (hs.Term < d.Hard.Term) throw new InvalidOperationException($"node {id:x} persists term {hs.Term} after {d.Hard.Term}");
            d.Hard = hs.Clone();
        }
        if (rd.Entries.Count > 0)
        {
            var first = rd.Entries[0].Index;
            if (first <= d.SnapshotIndex || first > d.LastIndex + 1)
                throw new InvalidOperationException($"node {id:x} appends from {first} to a log [{d.SnapshotIndex + 1}, {d.LastIndex}]");
            // Rewriting a durable committed entry is allowed only with the same entry (a re-sent write).
            foreach (var e in rd.Entries)
                if (e.Index <= durableCommit && d.At(e.Index) is { } old && !SameEntry(old, e))
                    throw new InvalidOperationException($"node {id:x} overwrites committed entry {Show(old)} with {Show(e)}");
            d.Log.RemoveAll(e => e.Index >= first);
            d.Log.AddRange(rd.Entries.Select(e => e.Clone()));
        }
        // A commit index beyond the durable log could not be recovered from.
        if (d.Hard.Commit > d.LastIndex) throw new InvalidOperationException($"node {id:x} persists commit {d.Hard.Commit} beyond its durable log {d.LastIndex}");
        CheckLogMatching(id);
    }

    /// <summary>Ready.Snapshot: the state machine becomes the snapshot's data (the leader's applied prefix).</summary>
    private void InstallSnapshot(ulong id, SnapshotMetadata meta)
    {
        var data = ReceivedData(id, meta);
        var before = Applied[id];
        if ((ulong)before.Count >= meta.Index) throw new InvalidOperationException($"node {id:x} installs snapshot {meta.Index} but already applied {before.Count}");
        // What the node applied so far must be a prefix of the snapshot (state machine safety).
        for (var i = 0; i < before.Count; i++)
            if (!SameEntry(before[i], data[i]))
                throw new InvalidOperationException($"state machine safety violated: node {id:x} applied {Show(before[i])} but its snapshot has {Show(data[i])}");
        Events?.Invoke($"{id} installs snapshot index={meta.Index} term={meta.Term} {ClusterConfig.From(meta.ConfState)}");
        Applied[id] = data.Select(e => e.Clone()).ToList();
        RecordInstalled(id, data);
    }

    private List<Entry> ReceivedData(ulong id, SnapshotMetadata meta) =>
        _received.TryGetValue((id, meta.Index, meta.Term), out var data)
            ? data.Select(e => e.Clone()).ToList()
            : throw new InvalidOperationException($"node {id:x} restored snapshot {meta.Index}/{meta.Term} whose data never arrived");

    private void Apply(ulong id, IReadOnlyList<Entry> entries)
    {
        var applied = Applied[id];
        var term = Nodes[id].Term;
        foreach (var e in entries)
        {
            var expected = (ulong)applied.Count + 1;
            if (e.Index != expected) throw new InvalidOperationException($"node {id:x} applied {e.Index}, expected {expected}");
            applied.Add(e.Clone());
            RecordApplied(id, e, term);
        }
    }
}
