using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Specs.Raft;

/// <summary>
/// Runs several RaftNodes in one thread: drains their Readies into simulated durable storage,
/// queues their messages and delivers them (optionally dropping some), and records what each node
/// applied. Checks Raft's safety properties on every Ready so any test that drives it also checks them.
/// </summary>
internal sealed class RaftNetwork
{
    private readonly Dictionary<ulong, (HardState Hard, List<Entry> Log)> _durable = new();
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = new();
    private readonly ulong[] _ids;
    private readonly SeededRandomSource _random;
    private readonly bool _preVote;
    private readonly bool _checkQuorum;

    public RaftNetwork(ulong seed, bool preVote, bool checkQuorum, params ulong[] ids)
    {
        _ids = ids;
        _random = new SeededRandomSource(seed);
        _preVote = preVote;
        _checkQuorum = checkQuorum;
        foreach (var id in ids)
        {
            _durable[id] = (new HardState(), []);
            Applied[id] = [];
            ReadStates[id] = [];
            Nodes[id] = RaftNode.Create(Config(id));
        }
    }

    public RaftNetwork(params ulong[] ids) : this(1, preVote: false, checkQuorum: false, ids)
    {
    }

    public Dictionary<ulong, RaftNode> Nodes { get; } = new();
    public Dictionary<ulong, List<Entry>> Applied { get; } = new();
    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = new();
    public List<Message> InFlight { get; } = [];

    /// <summary>Messages for which this returns true are silently lost.</summary>
    public Func<Message, bool> Drop { get; set; } = _ => false;

    public RaftNode this[ulong id] => Nodes[id];

    public RaftConfig Config(ulong id) => new()
    {
        Id = id,
        Voters = _ids,
        ElectionTick = 10,
        HeartbeatTick = 1,
        PreVote = _preVote,
        CheckQuorum = _checkQuorum,
        MaxEntriesPerMsg = 4,
        MaxInflightMsgs = 8,
        Random = new SeededRandomSource(_random.NextUInt64()),
    };

    /// <summary>Replaces a node's durable state before it is (re)started; for divergent-log scenarios.</summary>
    public void Recover(ulong id, HardState hard, IEnumerable<Entry> log)
    {
        _durable[id] = (hard.Clone(), log.Select(e => e.Clone()).ToList());
        Restart(id);
    }

    /// <summary>Crash and restart: volatile state is lost, the node comes back from its durable state.</summary>
    public void Restart(ulong id)
    {
        var (hard, log) = _durable[id];
        Applied[id] = [];
        InFlight.RemoveAll(m => m.To == id);
        Nodes[id] = RaftNode.Create(Config(id), new RaftRecoveredState(hard.Clone(), log.Select(e => e.Clone()).ToList()));
    }

    public void Campaign(ulong id) => Nodes[id].Step(new Message { Type = MessageType.MsgHup });

    /// <summary>Handles every pending Ready once; returns true if any node had one.</summary>
    public bool ProcessReadies()
    {
        var any = false;
        foreach (var id in _ids)
        {
            var node = Nodes[id];
            if (!node.HasReady()) continue;
            any = true;
            var rd = node.GetReady();
            Persist(id, rd);
            foreach (var m in rd.Messages)
                if (!Drop(m)) InFlight.Add(m.Clone());
            Apply(id, rd.CommittedEntries);
            ReadStates[id].AddRange(rd.ReadStates);
            if (rd.SoftState is { Role: RaftRole.Leader } s)
            {
                if (_leaderOfTerm.TryGetValue(node.Term, out var other) && other != id)
                    throw new InvalidOperationException($"election safety violated: {other:x} and {id:x} both lead term {node.Term}");
                _leaderOfTerm[node.Term] = id;
            }
            node.Advance(rd);
        }
        return any;
    }

    /// <summary>Delivers one in-flight message (by position) to its recipient.</summary>
    public void Deliver(int at)
    {
        var m = InFlight[at];
        InFlight.RemoveAt(at);
        if (Nodes.TryGetValue(m.To, out var to)) to.Step(m);
    }

    /// <summary>Processes readies and delivers messages in FIFO order until the network is quiet.</summary>
    public void Stabilize(int maxRounds = 10_000)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            var any = ProcessReadies();
            if (InFlight.Count == 0 && !any) return;
            var batch = InFlight.ToList();
            InFlight.Clear();
            foreach (var m in batch)
                if (Nodes.TryGetValue(m.To, out var to)) to.Step(m);
        }
        throw new InvalidOperationException("network did not stabilize");
    }

    public void TickAll(int times = 1)
    {
        for (var i = 0; i < times; i++)
            foreach (var id in _ids) Nodes[id].Tick();
    }

    public ulong? Leader()
    {
        var leaders = Nodes.Values.Where(n => n.Role == RaftRole.Leader).OrderByDescending(n => n.Term).ToList();
        return leaders.Count == 0 ? null : leaders[0].Id;
    }

    public static Entry E(ulong index, ulong term, string data = "") =>
        new() { Index = index, Term = term, Data = ByteString.CopyFromUtf8(data) };

    private void Persist(ulong id, Ready rd)
    {
        var (hard, log) = _durable[id];
        var durableCommit = hard.Commit;
        if (rd.HardState is { } hs) hard = hs.Clone();
        if (rd.Entries.Count > 0)
        {
            var first = rd.Entries[0].Index;
            if (durableCommit >= first && log.Count > 0 && log[^1].Index >= first)
                throw new InvalidOperationException($"node {id:x} overwrites committed entries from {first}");
            log.RemoveAll(e => e.Index >= first);
            log.AddRange(rd.Entries.Select(e => e.Clone()));
        }
        _durable[id] = (hard, log);
    }

    private void Apply(ulong id, IReadOnlyList<Entry> entries)
    {
        var applied = Applied[id];
        foreach (var e in entries)
        {
            var expected = (ulong)applied.Count + 1;
            if (e.Index != expected) throw new InvalidOperationException($"node {id:x} applied {e.Index}, expected {expected}");
            applied.Add(e.Clone());
        }
        // State machine safety: every two nodes agree on every index both have applied.
        foreach (var (other, log) in Applied)
        {
            if (other == id) continue;
            var n = Math.Min(log.Count, applied.Count);
            for (var i = 0; i < n; i++)
                if (log[i].Term != applied[i].Term || log[i].Data != applied[i].Data)
                    throw new InvalidOperationException($"state machine safety violated at index {i + 1} between {id:x} and {other:x}");
        }
    }
}
