using System.Text;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// Runs a <see cref="ScenarioFile"/> against in-memory RaftNodes (on a <see cref="RaftNetwork"/>, so every
/// step is also checked for Raft's safety properties) and compares each block's output with the expected
/// text. With <c>RAFT_SCENARIO_REWRITE=1</c> the file's expected outputs are rewritten instead (golden update).
/// Nodes use RaftNetwork's config: ElectionTick=10 (randomized to [10,20) from the seed), HeartbeatTick=1,
/// MaxEntriesPerMsg=4, MaxInflightMsgs=8.
/// <para>Commands:</para>
/// <list type="bullet">
/// <item><c>add-nodes n= [prevote=] [checkquorum=] [seed=]</c>: members 1..n with the configuration passed in RaftConfig.Voters.</item>
/// <item><c>bootstrap n= [prevote=] [checkquorum=] [seed=]</c>: members 1..n started with RaftNode.Bootstrap (the configuration is in the log).</item>
/// <item><c>add-node id=</c>: a brand-new empty member (no log, no configuration); bootstrapped networks only.</item>
/// <item><c>stop id=</c>: stops a member for good (e.g. after its removal); messages to it are lost.</item>
/// <item><c>restart id=</c>: crash and restart from durable state (hard state, log, snapshot); messages on their way to it are lost.</item>
/// <item><c>campaign id=</c>, <c>tick [id=] [n=]</c>, <c>propose id= data=</c>, <c>read-index id= ctx=</c>.</item>
/// <item><c>propose-conf-change id= type=add|learner|remove|update node=</c>: prints the refusal, if any.</item>
/// <item><c>transfer-leader id= to=</c>: asks <c>id</c> (leader or follower) to hand leadership to <c>to</c>.</item>
/// <item><c>compact id= index=</c>: the host snapshots its state machine and compacts the log up to index (clamped to applied).</item>
/// <item><c>stabilize</c>: Readies and FIFO delivery rounds until quiet; <c>deliver-msgs [drop=true] [to=]</c>: one round (only to <c>to</c> if given).</item>
/// <item><c>begin-ready id=</c>: the host takes the Ready and starts its write, which stays in flight (a leader sends
/// its messages now, before its write is durable); <c>complete-ready id=</c>: the write is durable, the host finishes
/// the Ready (with none in flight: takes the next one and handles it whole). <c>deliver-msgs</c> leaves a write in flight; <c>stabilize</c> completes it; <c>restart</c> loses it.</item>
/// <item><c>isolate id=</c>, <c>heal</c>: cut a member off (messages across the cut are lost), and undo every cut.</item>
/// <item><c>status [id=]</c>, <c>config [id=]</c>, <c>progress id=</c> (a leader's view of its peers), <c>log id=</c>.</item>
/// </list>
/// Output lines: role changes, sent messages (DROPPED when lost on the way), applies, read states, host
/// events (snapshot streamed, reported, installed) and configuration changes as each Ready hands them out.
/// </summary>
internal sealed partial class ScenarioRunner
{
    private RaftNetwork? _net;
    private readonly HashSet<ulong> _isolated = [];
    private readonly Dictionary<ulong, (ulong Term, ulong Lead, RaftRole Role)> _seen = new();
    private readonly Dictionary<ulong, ClusterConfig> _configSeen = new();
    private readonly Dictionary<ulong, int> _appliedSeen = new();
    private readonly Dictionary<ulong, int> _readStatesSeen = new();
    private readonly List<Message> _dropped = [];
    private StringBuilder _out = new();

    public static void Run(string path)
    {
        var file = ScenarioFile.Load(path);
        var runner = new ScenarioRunner();
        var actual = new List<string>();
        foreach (var block in file.Blocks)
        {
            try
            {
                actual.Add(runner.Execute(block));
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException($"{path}:{block.Line}: '{block.Text}' failed: {e.Message}", e);
            }
        }

        if (Environment.GetEnvironmentVariable("RAFT_SCENARIO_REWRITE") == "1")
        {
            File.WriteAllText(path, ScenarioFile.Render(file.Blocks, actual));
            return;
        }

        for (var b = 0; b < file.Blocks.Count; b++)
        {
            var block = file.Blocks[b];
            if (block.Expected != actual[b])
                Assert.Fail($"{path}:{block.Line}: '{block.Text}'\n--- expected ---\n{block.Expected}\n--- actual ---\n{actual[b]}\n" +
                            "(set RAFT_SCENARIO_REWRITE=1 to accept the actual output)");
        }
    }

    private RaftNetwork Net => _net ?? throw new InvalidOperationException("add-nodes or bootstrap first");

    private string Execute(ScenarioBlock b)
    {
        _out = new StringBuilder();
        switch (b.Command)
        {
            case "add-nodes": Start(b, bootstrap: false); break;
            case "bootstrap": Start(b, bootstrap: true); break;
            case "add-node":
                Net.AddNode(b.RequiredU64("id"));
                Track(b.RequiredU64("id"));
                break;
            case "stop":
                Net.Retire(Node(b));
                break;
            case "restart":
                Net.Restart(Node(b));
                // The state machine restarts from the durable snapshot: the replayed entries are printed again.
                _appliedSeen[b.RequiredU64("id")] = Net.Applied[b.RequiredU64("id")].Count;
                ReportStateChanges();
                break;
            case "campaign": Net.Campaign(Node(b)); break;
            case "tick": Tick(b); break;
            case "propose":
                if (!Net[Node(b)].Propose(ByteString.CopyFromUtf8(b.Arg("data") ?? "")))
                    Line(Net[Node(b)].Role == RaftRole.Leader ? "dropped: leader transfer in progress" : "dropped: not leader");
                break;
            case "propose-conf-change": ProposeConfChange(b); break;
            case "transfer-leader":
                Net[Node(b)].TransferLeader(b.RequiredU64("to"));
                ReportStateChanges();
                break;
            case "compact":
                Line(Net.Compact(Node(b), b.RequiredU64("index")) is { } to ? $"{b.RequiredU64("id")} compacted to {to}" : "nothing to compact");
                break;
            case "read-index":
                if (!Net.ReadIndex(Node(b), ByteString.CopyFromUtf8(b.Arg("ctx") ?? "")))
                    Line("dropped: no leader");
                break;
            case "stabilize": Stabilize(); break;
            case "begin-ready":
                if (!Report(() => Net.BeginReady(Node(b)))) Line("no Ready");
                break;
            case "complete-ready":
                var ready = Report(() =>
                {
                    var id = Node(b);
                    if (!Net.HasOutstandingReady(id) && !Net.BeginReady(id)) return false;
                    Net.CompleteReady(id);
                    return true;
                });
                if (!ready) Line("no Ready");
                break;
            case "deliver-msgs":
                // A write in flight stays in flight until complete-ready (or stabilize).
                Report(() => Net.ProcessReadies(_ => true));
                DeliverMsgs(b.Bool("drop"), b.Arg("to") is null ? null : b.RequiredU64("to"));
                break;
            case "isolate": _isolated.Add(Node(b)); break;
            case "heal": _isolated.Clear(); break;
            case "status":
                foreach (var id in Targets(b)) Status(id);
                break;
            case "config":
                foreach (var id in Targets(b)) Line($"{id} {Net[id].Config}");
                break;
            case "progress": Progress(Node(b)); break;
            case "log": Log(Node(b)); break;
            default: throw new FormatException($"unknown command '{b.Command}'");
        }
        return _out.ToString().TrimEnd('\n');
    }

    private ulong Node(ScenarioBlock b)
    {
        var id = b.RequiredU64("id");
        if (!Net.Nodes.ContainsKey(id)) throw new ArgumentException($"no node {id}");
        return id;
    }

    private IReadOnlyList<ulong> Targets(ScenarioBlock b) => b.Arg("id") is null ? Net.Ids : [Node(b)];

    private void Line(string s) => _out.Append(s).Append('\n');

    private void Start(ScenarioBlock b, bool bootstrap)
    {
        if (_net is not null) throw new InvalidOperationException("nodes already added");
        var n = b.RequiredU64("n");
        var ids = Enumerable.Range(1, (int)n).Select(i => (ulong)i).ToArray();
        var (seed, preVote, checkQuorum) = (b.U64("seed", 1), b.Bool("prevote"), b.Bool("checkquorum"));
        _net = bootstrap ? RaftNetwork.Bootstrap(seed, preVote, checkQuorum, ids) : new RaftNetwork(seed, preVote, checkQuorum, ids);
        _net.Drop = m =>
        {
            if (!Cut(m)) return false;
            _dropped.Add(m.Clone());
            return true;
        };
        _net.Events = Line;
        foreach (var id in ids) Track(id);
    }

    private void Track(ulong id)
    {
        _seen[id] = (Net[id].Term, Net[id].Lead, Net[id].Role);
        _configSeen[id] = Net[id].Config;
        _appliedSeen[id] = Net.Applied[id].Count;
        _readStatesSeen[id] = 0;
    }

    private bool Cut(Message m) => _isolated.Contains(m.From) != _isolated.Contains(m.To);

    private void Tick(ScenarioBlock b)
    {
        var n = (int)b.U64("n", 1);
        var ids = Targets(b);
        for (var i = 0; i < n; i++)
            foreach (var id in ids) Net.Tick(id);
        ReportStateChanges();
    }

    private void ProposeConfChange(ScenarioBlock b)
    {
        var type = b.Arg("type") switch
        {
            "add" => ConfChangeType.ConfChangeAddNode,
            "learner" => ConfChangeType.ConfChangeAddLearnerNode,
            "remove" => ConfChangeType.ConfChangeRemoveNode,
            "update" => ConfChangeType.ConfChangeUpdateNode,
            var t => throw new FormatException($"unknown conf change type '{t}'"),
        };
        if (Net[Node(b)].ProposeConfChange(RaftNetwork.Change(type, b.RequiredU64("node"))) is { } refusal)
            Line($"refused: {refusal}");
    }

    /// <summary>Handles Readies and delivers messages in FIFO rounds until nothing is pending, printing as it goes.</summary>
    private void Stabilize()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var any = ProcessReadies();
            if (Net.InFlight.Count == 0 && !any) return;
            DeliverMsgs(drop: false, to: null);
        }
        throw new InvalidOperationException("network did not stabilize");
    }

    /// <summary>Delivers (or with <paramref name="drop"/> loses) the messages in flight (only those to <paramref name="to"/> if given).</summary>
    private void DeliverMsgs(bool drop, ulong? to)
    {
        var batch = Net.InFlight.Where(m => to is null || m.To == to).ToList();
        Net.InFlight.RemoveAll(m => to is null || m.To == to);
        if (drop && batch.Count > 0) Line($"dropped {batch.Count} messages");
        foreach (var m in batch)
        {
            // Dropped, or isolated after it was sent: lost on the wire.
            if (drop || Cut(m)) Net.Lose(m);
            else Net.Step(m);
        }
        ReportStateChanges();
    }
}
