using Etcd.Actors.Raft;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Specs.Raft;

/// <summary>
/// Runs several RaftNodes in one thread as their hosts would: drains each Ready into simulated durable
/// storage (<see cref="DurableState"/>), installs snapshots, queues messages and delivers them (optionally
/// dropping some), streams snapshot data beside MsgSnap and reports the outcome, and records what each node
/// applied. Every step that can change Raft state is followed by the safety checks (RaftNetwork.Safety.cs),
/// so any test that drives the network also checks election safety, log matching, leader completeness,
/// state machine safety and linearizable ReadIndex.
/// </summary>
internal sealed partial class RaftNetwork
{
    private readonly SeededRandomSource _random;
    private readonly bool _preVote;
    private readonly bool _checkQuorum;

    // A Create-style network keeps its starting configuration outside the log (RaftConfig.Voters, passed
    // again on every restart); a bootstrapped one has it in the log, which is what lets a joiner learn it.
    private readonly ulong[] _initialVoters;

    // A bootstrapped network's starting members, as the AddNode changes their first log holds.
    private readonly List<ConfChange> _bootstrapPeers = [];

    // Readies taken but not yet handled (the host's write is in flight).
    private readonly Dictionary<ulong, Ready> _outstanding = new();

    // Nodes whose outstanding Ready's messages already went out when it was taken (a leader's early send).
    // Nodes whose Ready sent some messages before its write, with the messages still to send once it is durable.
    private readonly Dictionary<ulong, List<Message>> _sentEarly = [];

    // The voters each outstanding Ready's commit index was counted with (its GetReady may switch configuration).
    private readonly Dictionary<ulong, List<ulong>> _outstandingVoters = new();

    public RaftNetwork(ulong seed, bool preVote, bool checkQuorum, params ulong[] ids)
        : this(seed, preVote, checkQuorum, bootstrap: false, ids)
    {
    }

    public RaftNetwork(params ulong[] ids) : this(1, preVote: false, checkQuorum: false, ids)
    {
    }

    private RaftNetwork(ulong seed, bool preVote, bool checkQuorum, bool bootstrap, ulong[] ids)
    {
        _random = new SeededRandomSource(seed);
        _preVote = preVote;
        _checkQuorum = checkQuorum;
        IsBootstrapped = bootstrap;
        _initialVoters = bootstrap ? [] : ids;
        var peers = ids.Select(id => new ConfChange { Type = ConfChangeType.ConfChangeAddNode, NodeId = id }).ToList();
        if (bootstrap) _bootstrapPeers.AddRange(peers);
        foreach (var id in ids)
        {
            AddHost(id);
            Nodes[id] = bootstrap ? RaftNode.Bootstrap(Config(id), peers) : RaftNode.Create(Config(id));
        }
        CheckAfterStep();
    }

    /// <summary>A new cluster started with <see cref="RaftNode.Bootstrap"/>: its configuration lives in the log.</summary>
    public static RaftNetwork Bootstrap(ulong seed, bool preVote, bool checkQuorum, params ulong[] ids) =>
        new(seed, preVote, checkQuorum, bootstrap: true, ids);

    public bool IsBootstrapped { get; }

    /// <summary>Running nodes. A retired (removed and stopped) node is no longer here.</summary>
    public Dictionary<ulong, RaftNode> Nodes { get; } = new();

    public Dictionary<ulong, DurableState> Durable { get; } = new();

    /// <summary>Each node's state machine: the entries it applied (or installed from a snapshot), in index order.</summary>
    public Dictionary<ulong, List<Entry>> Applied { get; } = new();

    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = new();
    public List<Message> InFlight { get; } = [];

    /// <summary>Messages for which this returns true are lost (and a lost MsgSnap is reported as failed).</summary>
    public Func<Message, bool> Drop { get; set; } = _ => false;

    /// <summary>When set, a lost MsgApp is reported to its sender with ReportUnreachable, as a transport would.</summary>
    public bool ReportUnreachableOnLoss { get; set; }

    /// <summary>What the hosts did besides Ready handling (snapshot streams, reports, installs), for scenario output.</summary>
    public Action<string>? Events { get; set; }

    /// <summary>Sees every Ready as its host receives it, before handling it.</summary>
    public Action<ulong, Ready>? OnReady { get; set; }

    public RaftNode this[ulong id] => Nodes[id];

    /// <summary>Running node ids in order: the order Readies are handled and ticks are given.</summary>
    public IReadOnlyList<ulong> Ids => Nodes.Keys.Order().ToList();

    public RaftConfig Config(ulong id) => new()
    {
        Id = id,
        Voters = _initialVoters,
        ElectionTick = 10,
        HeartbeatTick = 1,
        PreVote = _preVote,
        CheckQuorum = _checkQuorum,
        MaxEntriesPerMsg = 4,
        MaxInflightMsgs = 8,
        Random = new SeededRandomSource(_random.NextUInt64()),
    };

    public void Campaign(ulong id)
    {
        Nodes[id].Step(new Message { Type = MessageType.MsgHup });
        CheckAfterStep();
    }

    public void Tick(ulong id)
    {
        Nodes[id].Tick();
        CheckAfterStep();
    }

    public void TickAll(int times = 1)
    {
        for (var i = 0; i < times; i++)
            foreach (var id in Ids) Tick(id);
    }

    /// <summary>Asks <paramref name="id"/> for a read index; its answer is checked against every commit known now.</summary>
    public bool ReadIndex(ulong id, ByteString context)
    {
        if (!Nodes[id].ReadIndex(context)) return false;
        RecordReadRequest(context);
        CheckAfterStep();
        return true;
    }

    /// <summary>
    /// Handles every pending Ready once, in id order (finishing one left outstanding by <see cref="BeginReady"/>
    /// first); returns true if any node had one.
    /// </summary>
    public bool ProcessReadies() => ProcessReadies(_ => false);

    /// <summary>As <see cref="ProcessReadies()"/>, but a node for which <paramref name="hold"/> is true keeps its outstanding Ready (its write is still in flight).</summary>
    public bool ProcessReadies(Func<ulong, bool> hold)
    {
        var any = false;
        foreach (var id in Ids)
        {
            if (!Nodes.ContainsKey(id)) continue;
            if (_outstanding.ContainsKey(id) && hold(id)) continue;
            if (!_outstanding.ContainsKey(id) && !BeginReady(id)) continue;
            any = true;
            CompleteReady(id);
        }
        return any;
    }

    /// <summary>
    /// Takes a node's Ready without handling it yet, as a host does while its journal write is in flight: the
    /// node keeps stepping messages until <see cref="CompleteReady"/>. False when there is none or one is outstanding.
    /// A leader's host sends its messages now, before its write is durable (see <see cref="SendsEarly"/>), so a
    /// crash before <see cref="CompleteReady"/> leaves them delivered and the write lost.
    /// </summary>
    public bool BeginReady(ulong id)
    {
        var node = Nodes[id];
        if (_outstanding.ContainsKey(id) || !node.HasReady()) return false;
        var wasLeader = node.Role == RaftRole.Leader;
        // The voters its commit index was counted with: the Ready may switch to a new configuration as it hands it out.
        var voters = node.Voters.ToList();
        var rd = node.GetReady();
        OnReady?.Invoke(id, rd);
        _outstanding[id] = rd;
        _outstandingVoters[id] = voters;
        var early = SendsEarly(wasLeader, rd);
        if (early.Count > 0)
        {
            foreach (var m in CoalesceAppends ? OutboundAppends.Coalesce(early) : early)
            {
                CheckSentDurably(id, m, voters, early: true);
                Send(m);
            }
            _sentEarly[id] = rd.Messages.Where(m => !early.Contains(m, ReferenceEqualityComparer.Instance)).ToList();
            EarlySends++;
            if (node.Voters.Count == 1) LoneVoterEarlySends++;
        }
        CheckAfterStep();
        return true;
    }

    /// <summary>
    /// The early send as etcd's server does it (and RaftActor did before it asked the core), per message: a leader
    /// sends its replication messages before its own write, and the rest after it. The core's
    /// <see cref="Ready.MessagesBeforePersist"/> allows at most these, so a core that is safe here is safe under
    /// RaftActor's narrower rule too.
    /// </summary>
    private static List<Message> SendsEarly(bool leader, Ready rd)
    {
        var early = leader
            ? rd.Messages.Where(m => m.Type is MessageType.MsgApp or MessageType.MsgHeartbeat or MessageType.MsgSnap or MessageType.MsgTimeoutNow or MessageType.MsgReadIndexResp).ToList()
            : [];
        if (rd.MessagesBeforePersist.Any(m => !early.Contains(m, ReferenceEqualityComparer.Instance)))
            throw new InvalidOperationException("the core allows an early send of more than a leader's replication messages");
        if (rd.MessagesBeforePersist.Count + rd.MessagesAfterPersist.Count != rd.Messages.Count)
            throw new InvalidOperationException("the core's early and late messages are not exactly its messages");
        return early;
    }

    /// <summary>Send as RaftActor does: without the empty MsgApps a later one of the same send supersedes (<see cref="OutboundAppends"/>).</summary>
    public bool CoalesceAppends { get; set; }

    public bool HasOutstandingReady(ulong id) => _outstanding.ContainsKey(id);

    /// <summary>Readies whose messages went out before their write (statistics for the simulation).</summary>
    public int EarlySends { get; private set; }

    /// <summary>Early sends by a leader that was the only voter: its own write alone decides what commits.</summary>
    public int LoneVoterEarlySends { get; private set; }

    /// <summary>Crashes that lost a write in flight, and those whose messages were already out.</summary>
    public int CrashesMidWrite { get; private set; }

    public int CrashesAfterEarlySend { get; private set; }

    /// <summary>How many MsgSnap arrived at a node whose Ready was outstanding (a statistic for the simulation).</summary>
    public int SnapshotsDuringOutstandingReady { get; private set; }

    /// <summary>The host's order for a Ready: persist (snapshot first), send, install the snapshot, apply, serve reads, Advance.</summary>
    public void CompleteReady(ulong id)
    {
        if (!_outstanding.Remove(id, out var rd)) throw new InvalidOperationException($"node {id:x} has no outstanding Ready");
        Persist(id, rd);
        _outstandingVoters.Remove(id, out var voters);
        var toSend = _sentEarly.Remove(id, out var late) ? late : rd.Messages;
        foreach (var m in CoalesceAppends ? OutboundAppends.Coalesce(toSend) : toSend)
        {
            CheckSentDurably(id, m, voters!, early: false);
            Send(m);
        }
        if (rd.Snapshot is { } meta) InstallSnapshot(id, meta);
        Apply(id, rd.CommittedEntries);
        CheckReadStates(rd.ReadStates);
        ReadStates[id].AddRange(rd.ReadStates);
        Nodes[id].Advance(rd);
        CheckAfterStep();
    }

    /// <summary>Delivers one in-flight message (by position) to its recipient.</summary>
    public void Deliver(int at)
    {
        var m = InFlight[at];
        InFlight.RemoveAt(at);
        Step(m);
    }

    /// <summary>
    /// Hands <paramref name="m"/> to its recipient. A MsgSnap's data is streamed first, and its sender is told
    /// the transfer succeeded; a message to a node that is not running is lost.
    /// </summary>
    public void Step(Message m)
    {
        if (!Nodes.TryGetValue(m.To, out var to))
        {
            Lose(m);
            return;
        }
        if (m.Type == MessageType.MsgSnap)
        {
            StreamSnapshot(m);
            if (_outstanding.ContainsKey(m.To)) SnapshotsDuringOutstandingReady++;
        }
        to.Step(m);
        if (m.Type == MessageType.MsgSnap && Nodes.TryGetValue(m.From, out var from))
        {
            Events?.Invoke($"{m.From} ReportSnapshot to={m.To} ok=true");
            from.ReportSnapshot(m.To, true);
        }
        CheckAfterStep();
    }

    /// <summary>A message that will never arrive; a transport tells the sender what it can (snapshot failed, peer unreachable).</summary>
    public void Lose(Message m)
    {
        if (!Nodes.TryGetValue(m.From, out var from)) return;
        if (m.Type == MessageType.MsgSnap)
        {
            Events?.Invoke($"{m.From} ReportSnapshot to={m.To} ok=false");
            from.ReportSnapshot(m.To, false);
        }
        else if (m.Type == MessageType.MsgApp && ReportUnreachableOnLoss)
        {
            from.ReportUnreachable(m.To);
        }
    }

    /// <summary>Processes readies and delivers messages in FIFO rounds until the network is quiet.</summary>
    public void Stabilize(int maxRounds = 10_000)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            var any = ProcessReadies();
            if (InFlight.Count == 0 && !any) return;
            var batch = InFlight.ToList();
            InFlight.Clear();
            foreach (var m in batch) Step(m);
        }
        throw new InvalidOperationException("network did not stabilize");
    }

    /// <summary>The running leader of the highest term, if any.</summary>
    public ulong? Leader()
    {
        var leaders = Nodes.Values.Where(n => n.Role == RaftRole.Leader).OrderByDescending(n => n.Term).ToList();
        return leaders.Count == 0 ? null : leaders[0].Id;
    }

    public static Entry E(ulong index, ulong term, string data = "") =>
        new() { Index = index, Term = term, Data = ByteString.CopyFromUtf8(data) };

    private void Send(Message m)
    {
        if (m.Type == MessageType.MsgSnap) CaptureSnapshot(m);
        if (Drop(m))
        {
            Lose(m);
            return;
        }
        InFlight.Add(m.Clone());
    }

    private void AddHost(ulong id)
    {
        if (Durable.ContainsKey(id)) throw new InvalidOperationException($"node {id:x} existed before; ids are never reused");
        Durable[id] = new DurableState();
        Applied[id] = [];
        ReadStates[id] = [];
    }
}
