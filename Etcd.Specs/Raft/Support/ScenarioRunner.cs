using System.Text;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// Runs a <see cref="ScenarioFile"/> against in-memory RaftNodes (on a <see cref="RaftNetwork"/>, so every
/// Ready is also checked for Raft's safety properties) and compares each block's output with the expected
/// text. With <c>RAFT_SCENARIO_REWRITE=1</c> the file's expected outputs are rewritten instead (golden update).
/// Nodes use RaftNetwork's config: ElectionTick=10 (randomized to [10,20) from the seed), HeartbeatTick=1, MaxEntriesPerMsg=4.
/// Commands: add-nodes n= [prevote=] [checkquorum=] [seed=], campaign id=, tick [id=] [n=], propose id= data=,
/// read-index id= ctx=, stabilize, deliver-msgs [drop=true], isolate id=, heal, status [id=].
/// </summary>
internal sealed class ScenarioRunner
{
    private RaftNetwork? _net;
    private readonly HashSet<ulong> _isolated = [];
    private readonly Dictionary<ulong, (ulong Term, ulong Lead, RaftRole Role)> _seen = new();
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

    private RaftNetwork Net => _net ?? throw new InvalidOperationException("add-nodes first");

    private string Execute(ScenarioBlock b)
    {
        _out = new StringBuilder();
        switch (b.Command)
        {
            case "add-nodes": AddNodes(b); break;
            case "campaign": Net.Campaign(Node(b)); break;
            case "tick": Tick(b); break;
            case "propose":
                if (!Net[Node(b)].Propose(ByteString.CopyFromUtf8(b.Arg("data") ?? "")))
                    Line("dropped: not leader");
                break;
            case "read-index":
                if (!Net[Node(b)].ReadIndex(ByteString.CopyFromUtf8(b.Arg("ctx") ?? "")))
                    Line("dropped: no leader");
                break;
            case "stabilize": Stabilize(); break;
            case "deliver-msgs":
                ProcessReadies();
                DeliverMsgs(b.Bool("drop"));
                break;
            case "isolate": _isolated.Add(Node(b)); break;
            case "heal": _isolated.Clear(); break;
            case "status":
                foreach (var id in b.Arg("id") is null ? Net.Nodes.Keys.Order().ToArray() : [Node(b)]) Status(id);
                break;
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

    private void Line(string s) => _out.Append(s).Append('\n');

    private void AddNodes(ScenarioBlock b)
    {
        if (_net is not null) throw new InvalidOperationException("nodes already added");
        var n = b.RequiredU64("n");
        var ids = Enumerable.Range(1, (int)n).Select(i => (ulong)i).ToArray();
        _net = new RaftNetwork(b.U64("seed", 1), b.Bool("prevote"), b.Bool("checkquorum"), ids)
        {
            Drop = m =>
            {
                if (!Cut(m)) return false;
                _dropped.Add(m.Clone());
                return true;
            },
        };
        foreach (var id in ids)
        {
            _seen[id] = (Net[id].Term, Net[id].Lead, Net[id].Role);
            _appliedSeen[id] = 0;
            _readStatesSeen[id] = 0;
        }
    }

    private bool Cut(Message m) => _isolated.Contains(m.From) != _isolated.Contains(m.To);

    private void Tick(ScenarioBlock b)
    {
        var n = (int)b.U64("n", 1);
        var ids = b.Arg("id") is null ? Net.Nodes.Keys.Order().ToArray() : [Node(b)];
        for (var i = 0; i < n; i++)
            foreach (var id in ids) Net[id].Tick();
        ReportStateChanges();
    }

    /// <summary>Handles Readies and delivers messages in FIFO rounds until nothing is pending, printing as it goes.</summary>
    private void Stabilize()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var any = ProcessReadies();
            if (Net.InFlight.Count == 0 && !any) return;
            DeliverMsgs(drop: false);
        }
        throw new InvalidOperationException("network did not stabilize");
    }

    /// <summary>Processes pending Readies and prints what they did: role changes, sends, drops, applies, read states.</summary>
    private bool ProcessReadies()
    {
        var before = Net.InFlight.Count;
        _dropped.Clear();
        var any = Net.ProcessReadies();
        ReportStateChanges();
        foreach (var id in Net.Nodes.Keys.Order())
        {
            var applied = Net.Applied[id];
            for (var i = _appliedSeen[id]; i < applied.Count; i++)
                Line($"{id} apply {applied[i].Term}/{applied[i].Index} {Describe(applied[i])}");
            _appliedSeen[id] = applied.Count;
            var reads = Net.ReadStates[id];
            for (var i = _readStatesSeen[id]; i < reads.Count; i++)
                Line($"{id} ReadState index={reads[i].Index} ctx={reads[i].Context.ToStringUtf8()}");
            _readStatesSeen[id] = reads.Count;
        }
        // RaftNetwork.ProcessReadies visits nodes in id order, so sent and dropped messages are both in send order per node.
        var sent = Net.InFlight.Skip(before).Select(m => (m, dropped: false)).Concat(_dropped.Select(m => (m, dropped: true)))
            .OrderBy(x => x.m.From);
        foreach (var (m, dropped) in sent) Line(Format(m) + (dropped ? " DROPPED" : ""));
        _dropped.Clear();
        return any;
    }

    /// <summary>Delivers (or with <paramref name="drop"/> loses) every message in flight: one round of <see cref="Stabilize"/>.</summary>
    private void DeliverMsgs(bool drop)
    {
        var batch = Net.InFlight.ToList();
        Net.InFlight.Clear();
        if (drop && batch.Count > 0) Line($"dropped {batch.Count} messages");
        foreach (var m in batch)
        {
            if (drop) continue;
            if (Cut(m)) continue; // isolated after it was sent: lost on the wire
            Net[m.To].Step(m);
        }
        ReportStateChanges();
    }

    private void ReportStateChanges()
    {
        foreach (var id in Net.Nodes.Keys.Order())
        {
            var n = Net[id];
            var now = (n.Term, n.Lead, n.Role);
            if (now == _seen[id]) continue;
            _seen[id] = now;
            Line($"{id} is {n.Role} term={n.Term} lead={n.Lead}");
        }
    }

    private void Status(ulong id)
    {
        var n = Net[id];
        Line($"{id} term={n.Term} lead={n.Lead} role={n.Role} commit={n.CommitIndex} last={n.LastIndex}");
    }

    private static string Describe(Entry e) =>
        e.Type != EntryType.EntryNormal ? e.Type.ToString() : e.Data.IsEmpty ? "(empty)" : e.Data.ToStringUtf8();

    private static string Format(Message m)
    {
        var sb = new StringBuilder($"{m.From}->{m.To} {m.Type} term={m.Term}");
        if (m.Type is MessageType.MsgApp or MessageType.MsgVote or MessageType.MsgPreVote)
            sb.Append($" logterm={m.LogTerm} index={m.Index}");
        else if (m.Index != 0) sb.Append($" index={m.Index}");
        if (m.Type is MessageType.MsgApp or MessageType.MsgHeartbeat || m.Commit != 0) sb.Append($" commit={m.Commit}");
        if (m.Entries.Count > 0)
            sb.Append($" entries=[{string.Join(' ', m.Entries.Select(e => $"{e.Term}/{e.Index}:{Describe(e)}"))}]");
        if (m.Reject) sb.Append($" reject=true hint={m.RejectHint}");
        if (!m.Context.IsEmpty) sb.Append($" ctx={m.Context.ToStringUtf8()}");
        return sb.ToString();
    }
}
