using System.Buffers.Binary;
using System.Text;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;

namespace Etcd.Specs.Raft;

/// <summary>How a scenario prints what happened: one line per event, in a stable order.</summary>
internal sealed partial class ScenarioRunner
{
    /// <summary>Processes pending Readies and prints what they did: role changes, sends, drops, applies, read states, configurations.</summary>
    private bool ProcessReadies() => Report(() => Net.ProcessReadies());

    /// <summary>Runs <paramref name="hostWork"/> (Ready handling) and prints what it did, as <see cref="ProcessReadies()"/>.</summary>
    private bool Report(Func<bool> hostWork)
    {
        var before = Net.InFlight.Count;
        _dropped.Clear();
        var any = hostWork();
        ReportStateChanges();
        foreach (var id in Net.Ids)
        {
            var applied = Net.Applied[id];
            // An installed snapshot replaces the state machine: print only what was applied after it.
            var snapshot = (int)Net.Durable[id].SnapshotIndex;
            if (snapshot > _appliedSeen[id]) _appliedSeen[id] = snapshot;
            for (var i = _appliedSeen[id]; i < applied.Count; i++)
                Line($"{id} apply {applied[i].Term}/{applied[i].Index} {Describe(applied[i])}");
            _appliedSeen[id] = applied.Count;
            var reads = Net.ReadStates[id];
            for (var i = _readStatesSeen[id]; i < reads.Count; i++)
                Line($"{id} ReadState index={reads[i].Index} ctx={reads[i].Context.ToStringUtf8()}");
            _readStatesSeen[id] = reads.Count;
            var config = Net[id].Config;
            if (!config.Equals(_configSeen[id]))
            {
                Line($"{id} config {config}");
                _configSeen[id] = config;
            }
        }
        // RaftNetwork.ProcessReadies visits nodes in id order, so sent and dropped messages are both in send order per node.
        var sent = Net.InFlight.Skip(before).Select(m => (m, dropped: false)).Concat(_dropped.Select(m => (m, dropped: true)))
            .OrderBy(x => x.m.From);
        foreach (var (m, dropped) in sent) Line(Format(m) + (dropped ? " DROPPED" : ""));
        _dropped.Clear();
        return any;
    }

    private void ReportStateChanges()
    {
        foreach (var id in Net.Ids)
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

    private void Progress(ulong id)
    {
        var n = Net[id];
        if (n.Role != RaftRole.Leader)
        {
            Line($"{id} is not leader");
            return;
        }
        foreach (var peer in n.Config.All.Order())
            Line($"{peer}: {(n.ProgressOf(peer) is { } pr ? pr.ToString() : "untracked")}");
    }

    private void Log(ulong id)
    {
        var log = Net[id].Log;
        var entries = log.Slice(log.FirstIndex, log.LastIndex + 1);
        Line($"{id} first={log.FirstIndex} last={log.LastIndex} committed={log.Committed} applied={log.Applied}" +
             (entries.Count > 0 ? " entries=[" + string.Join(' ', entries.Select(e => $"{e.Term}/{e.Index}:{Describe(e)}")) + "]" : ""));
    }

    private static string Describe(Entry e)
    {
        if (e.Type == EntryType.EntryConfChange)
        {
            var cc = ConfChange.Parser.ParseFrom(e.Data);
            return $"{cc.Type.ToString().Replace("ConfChange", "")}({cc.NodeId})";
        }
        return e.Type != EntryType.EntryNormal ? e.Type.ToString() : e.Data.IsEmpty ? "(empty)" : e.Data.ToStringUtf8();
    }

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
        if (m.Snapshot?.Metadata is { } meta)
            sb.Append($" snapshot={meta.Term}/{meta.Index} {ClusterConfig.From(meta.ConfState)}");
        // Heartbeats carry the leader's ReadIndex round number, not the requester's context.
        if (m.Type is MessageType.MsgHeartbeat or MessageType.MsgHeartbeatResp && m.Context.Length == 8)
            sb.Append($" round={BinaryPrimitives.ReadUInt64BigEndian(m.Context.Span)}");
        else if (!m.Context.IsEmpty) sb.Append($" ctx={m.Context.ToStringUtf8()}");
        return sb.ToString();
    }
}
