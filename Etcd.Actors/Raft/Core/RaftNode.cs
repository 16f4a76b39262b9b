using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft.Core;

/// <summary>
/// One Raft member as a pure state machine, in the style of etcd-io/raft's RawNode: the host feeds it
/// <see cref="Tick"/>s, peer messages (<see cref="Step"/>) and proposals, and drains <see cref="Ready"/>
/// batches of work (persist, send, apply), acknowledging each with <see cref="Advance"/>. It does no
/// I/O, reads no clock and draws randomness only from the injected source, so a test can run many
/// members in one thread and replay a run from its seed.
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftConfig _cfg;
    private readonly RaftLog _log;
    private MajorityConfig _voters;
    private readonly Dictionary<ulong, Progress> _prs = new();
    private readonly Dictionary<ulong, bool> _votes = new();
    private readonly ReadOnlyQueue _readOnly = new();
    // ReadIndex requests that reached a new leader before it committed an entry of its own term; its
    // commit index might still be behind the previous leader's, so they wait for that first commit (bounded).
    private readonly ReadIndexBacklog _pendingReadIndex = new();
    private List<Message> _msgs = [];
    // Messages to ourselves that vouch for our own disk (the leader's ack of its entries, a candidate's own
    // vote): they wait for the next Ready, and are stepped in its Advance, once what they vouch for is durable.
    private List<Message> _msgsAfterAppend = [];
    private List<Message> _stepsOnAdvance = [];
    private List<ReadState> _readStates = [];
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private SoftState _prevSoft;
    // The index of the empty entry appended by BecomeLeader (SoftState.LeadStart while leading).
    private ulong _leadStart;
    private HardState _prevHard;
    private ulong _applying;
    private bool _readyOutstanding;

    private RaftNode(RaftConfig cfg, RaftRecoveredState recovered)
    {
        _cfg = cfg;
        _log = new RaftLog(recovered);
        var snapConfig = ClusterConfig.From(recovered.Snapshot?.ConfState);
        var baseConfig = snapConfig.IsEmpty ? new ClusterConfig(cfg.Voters, cfg.Learners) : snapConfig;
        _configBase = (_log.FirstIndex - 1, baseConfig);
        _config = baseConfig;
        _voters = new MajorityConfig(baseConfig.Voters);
        var hs = recovered.HardState;
        // The term was durable before any entry of it was appended; a smaller one means the hard state was lost.
        if (hs.Term < _log.LastTerm)
            throw new RaftInvariantException($"recovered term {hs.Term} is below the last log term {_log.LastTerm}: the hard state was lost");
        Term = hs.Term;
        Vote = hs.Vote;
        _prevHard = hs.Clone();
        // Entries after the snapshot (or after what the host says it has applied) are handed out again;
        // the state machine's consistent index makes re-applying them idempotent. Configuration changes the
        // host already applied are replayed here, so the membership is right before the first Ready.
        _applying = Math.Max(_log.Applied, Math.Min(cfg.Applied, _log.Committed));
        if (_applying >= _log.FirstIndex) ApplyConfChanges(_log.Slice(_log.FirstIndex, _applying + 1));
        if (_applying > _log.Applied) _log.AppliedTo(_applying);
        BecomeFollower(Term, 0);
        _prevSoft = new SoftState(0, RaftRole.Follower, 0);
        _configChanged = false;
    }

    /// <summary>Restarts a member from what it recovered (etcd's RestartNode); an empty state is a member with no log yet.</summary>
    public static RaftNode Create(RaftConfig config, RaftRecoveredState? recovered = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var node = new RaftNode(config, recovered ?? RaftRecoveredState.Empty);
        // A lone voter has nobody to wait for: campaigning at once lets a one-node server serve
        // immediately instead of after a randomized election timeout.
        if (node.IsSingleVoter) node.Hup();
        return node;
    }

    /// <summary>
    /// Starts a new cluster's member (etcd's StartNode): the log begins with one committed AddNode entry per
    /// initial member at term 1, so the configuration lives in the log like every later change, and a member
    /// that joins later learns it by replication. The first Ready persists and hands out these entries; a
    /// single member then campaigns at once and leads once its vote is durable.
    /// </summary>
    public static RaftNode Bootstrap(RaftConfig config, IReadOnlyList<ConfChange> peers)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(peers);
        if (peers.Count == 0) throw new ArgumentException("bootstrapping needs at least one member", nameof(peers));
        if (peers.Any(p => p.Type != ConfChangeType.ConfChangeAddNode)) throw new ArgumentException("bootstrap members must be AddNode changes", nameof(peers));
        config = config with { Voters = [], Learners = [] };
        config.Validate();
        var node = new RaftNode(config, RaftRecoveredState.Empty);
        node.BecomeFollower(1, 0);
        var entries = new List<Entry>(peers.Count);
        for (var i = 0; i < peers.Count; i++)
            entries.Add(new Entry { Term = 1, Index = (ulong)i + 1, Type = EntryType.EntryConfChange, Data = peers[i].ToByteString() });
        node._log.Append(entries);
        node._log.CommitTo((ulong)entries.Count);
        return node;
    }

    public ulong Id => _cfg.Id;
    public ulong Term { get; private set; }
    public ulong Vote { get; private set; }
    public ulong Lead { get; private set; }
    public RaftRole Role { get; private set; }
    public ulong CommitIndex => _log.Committed;
    public ulong LastIndex => _log.LastIndex;
    public ulong AppliedIndex => _log.Applied;
    public IReadOnlyList<ulong> Voters => _voters.Voters;

    /// <summary>The configuration as of the last entry handed out for applying.</summary>
    public ClusterConfig Config => _config;

    public bool IsLearner => _config.IsLearner(Id);

    /// <summary>The member this leader is handing leadership to; 0 when no transfer is in progress.</summary>
    public ulong LeadTransferee => _leadTransferee;

    /// <summary>Read-only view for tests and diagnostics.</summary>
    public RaftLog Log => _log;

    /// <summary>The leader's view of a peer, for tests and diagnostics; null when not leader or unknown.</summary>
    public Progress? ProgressOf(ulong id) => Role == RaftRole.Leader && _prs.TryGetValue(id, out var p) ? p : null;

    private bool IsSingleVoter => _voters.Voters.Count == 1 && _voters.Contains(Id);
    private bool Promotable => _config.IsVoter(Id);

    /// <summary>Advances logical time by one tick (one heartbeat interval).</summary>
    public void Tick()
    {
        if (Role == RaftRole.Leader) TickHeartbeat();
        else TickElection();
    }

    /// <summary>
    /// Proposes <paramref name="data"/> as a new entry. Returns false when this member is not the leader;
    /// the host may then forward to <see cref="Lead"/> (if known) or fail the request with "no leader".
    /// </summary>
    public bool Propose(ByteString data)
    {
        // During a leader transfer proposals are refused (etcd drops them): the transferee must catch up
        // to a log that stops growing. The host holds them and hands them to the next leader.
        if (Role != RaftRole.Leader || _leadTransferee != 0) return false;
        var m = new Message { Type = MessageType.MsgProp, From = Id };
        m.Entries.Add(new Entry { Type = EntryType.EntryNormal, Data = data });
        Step(m);
        return true;
    }

    /// <summary>
    /// Proposes several entries at once: they are appended together and reach each follower in one MsgApp
    /// (as far as MaxBytesPerMsg allows) instead of one MsgApp per entry — the host's group commit carried
    /// through to replication. Same refusals as <see cref="Propose(ByteString)"/>.
    /// </summary>
    public bool Propose(IReadOnlyList<ByteString> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return true;
        if (Role != RaftRole.Leader || _leadTransferee != 0) return false;
        var m = new Message { Type = MessageType.MsgProp, From = Id };
        for (var i = 0; i < batch.Count; i++) m.Entries.Add(new Entry { Type = EntryType.EntryNormal, Data = batch[i] });
        Step(m);
        return true;
    }

    /// <summary>
    /// Requests a read index tagged with <paramref name="context"/>; the answer arrives as a
    /// <see cref="ReadState"/> in a later Ready. False when no leader is known to ask.
    /// </summary>
    public bool ReadIndex(ByteString context)
    {
        if (Role != RaftRole.Leader && Lead == 0) return false;
        if (Role is RaftRole.Candidate or RaftRole.PreCandidate) return false;
        var m = new Message { Type = MessageType.MsgReadIndex, From = Id };
        m.Entries.Add(new Entry { Data = context });
        Step(m);
        return true;
    }

    /// <summary>Term, vote and commit as they are now (what a snapshot record is written with).</summary>
    public HardState HardState => CurrentHard;

    private SoftState CurrentSoft => new(Lead, Role, Role == RaftRole.Leader ? _leadStart : 0);
    private HardState CurrentHard => new() { Term = Term, Vote = Vote, Commit = _log.Committed };

    /// <summary>
    /// Bounds the in-memory log: forgets applied entries up to <paramref name="index"/>. A follower that needs
    /// older entries is caught up by a snapshot instead.
    /// </summary>
    public void CompactLog(ulong index)
    {
        var to = Math.Min(index, Math.Min(_log.Applied, _log.StableLastIndex));
        if (to < _log.FirstIndex) return;
        var baseConfig = ConfigAt(to);
        _log.CompactTo(to);
        _configBase = (to, baseConfig);
        _configHistory.RemoveAll(c => c.Index <= to);
    }

    /// <summary>True when there is work for the host and no Ready is outstanding.</summary>
    public bool HasReady()
    {
        if (_readyOutstanding) return false;
        return CurrentSoft != _prevSoft || !CurrentHard.Equals(_prevHard) || _log.Unstable.Entries.Count > 0 ||
               _msgs.Count > 0 || _msgsAfterAppend.Count > 0 || _readStates.Count > 0 || _pendingSnapshot is not null || _log.HasNextCommitted(_applying);
    }

    /// <summary>
    /// Takes the pending work. The host may keep stepping messages and proposals while it handles the
    /// Ready, but must call <see cref="Advance"/> before the next GetReady.
    /// </summary>
    public Ready GetReady()
    {
        if (_readyOutstanding) throw new InvalidOperationException("GetReady called before Advance of the previous Ready");
        var soft = CurrentSoft;
        var hard = CurrentHard;
        var entries = _log.Unstable.Entries.ToList();
        var committed = _log.NextCommitted(_applying);
        var snapshot = _pendingSnapshot;
        // Committed entries take effect for membership as they are handed out, so the configuration the host
        // sees with this Ready is the one its state machine will have after applying it.
        ApplyConfChanges(committed);
        var (early, late) = SplitBeforePersist(hard, _msgs);
        var rd = new Ready
        {
            SoftState = soft != _prevSoft ? soft : null,
            HardState = hard.Equals(_prevHard) ? null : hard,
            Snapshot = snapshot,
            Config = _configChanged ? _config : null,
            Entries = entries,
            CommittedEntries = committed,
            Messages = _msgs,
            MessagesBeforePersist = early,
            MessagesAfterPersist = late,
            ReadStates = _readStates,
            MustSync = snapshot is not null || Ready.MustSyncFor(hard, _prevHard, entries.Count),
        };
        _msgs = [];
        _stepsOnAdvance = _msgsAfterAppend;
        _msgsAfterAppend = [];
        _readStates = [];
        _prevSoft = soft;
        _prevHard = hard;
        _pendingSnapshot = null;
        _configChanged = false;
        if (committed.Count > 0) _applying = committed[^1].Index;
        _readyOutstanding = true;
        return rd;
    }

    /// <summary>
    /// The host has persisted, sent and applied <paramref name="rd"/>. What it wrote is durable now, so the
    /// acknowledgements this member owes itself for it (its own vote, the leader's own entries) count from here:
    /// a single voter elects itself, and commits its entries, only here.
    /// </summary>
    public void Advance(Ready rd)
    {
        if (!_readyOutstanding) throw new InvalidOperationException("Advance without an outstanding Ready");
        if (rd.Entries.Count > 0)
        {
            var last = rd.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }
        // A snapshot restored while this Ready was outstanding already moved applied past its entries.
        if (rd.CommittedEntries.Count > 0 && rd.CommittedEntries[^1].Index > _log.Applied) _log.AppliedTo(rd.CommittedEntries[^1].Index);
        _readyOutstanding = false;
        var steps = _stepsOnAdvance;
        _stepsOnAdvance = [];
        // Of an older term they are stale and Step drops them (the leader or candidate that sent them is gone).
        foreach (var m in steps) Step(m);
        // A configuration that just made us the only voter (bootstrap of one member, or the others removed)
        // has nobody to wait for. A candidate's own vote is on its way (above, or with the next Ready).
        if (IsSingleVoter && Role is RaftRole.Follower or RaftRole.PreCandidate) Hup();
        MaybeCampaignDeferredTransfer();
    }

    /// <summary>
    /// Which of the Ready's messages the host may send before its write is durable (etcd's leader does, Raft thesis
    /// §10.2.1: the leader's fsync overlaps the followers'), decided per message: only those in which nothing vouches
    /// for this member's disk. A leader's replication messages qualify: their entries are counted for commit only by
    /// the receivers' acks and the leader's own ack in Advance, so their commit index is durable on a quorum. None
    /// when the term or vote changes in this very Ready (no message of a term may leave before the term is durable),
    /// and never answers that may be promises (votes, append acks), which wait for the write with the rest.
    /// </summary>
    private (List<Message> Early, List<Message> Late) SplitBeforePersist(HardState hard, List<Message> msgs)
    {
        if (Role != RaftRole.Leader || msgs.Count == 0 || hard.Term != _prevHard.Term || hard.Vote != _prevHard.Vote) return ([], msgs);
        var early = new List<Message>(msgs.Count);
        var late = new List<Message>();
        foreach (var m in msgs)
        {
            var replication = m.Term == hard.Term &&
                              m.Type is MessageType.MsgApp or MessageType.MsgHeartbeat or MessageType.MsgSnap or MessageType.MsgTimeoutNow or MessageType.MsgReadIndexResp;
            (replication ? early : late).Add(m);
        }
        return (early, late);
    }

    private void Send(Message m)
    {
        // A forwarded request keeps its From (as in etcd-io/raft): MsgTransferLeader names the transferee
        // there, and a relayed MsgReadIndex names the member waiting for the answer.
        if (m.From == 0) m.From = Id;
        if (m.Type is MessageType.MsgVote or MessageType.MsgVoteResp or MessageType.MsgPreVote or MessageType.MsgPreVoteResp)
        {
            // Campaign messages carry the term they campaign for (pre-votes: Term+1), set by the caller.
            if (m.Term == 0) throw new RaftInvariantException($"{m.Type} sent without a term");
        }
        else
        {
            m.Term = Term;
        }
        if (m.To == Id)
        {
            // Only acknowledgements of our own durable state are addressed to ourselves.
            if (m.Type is not (MessageType.MsgAppResp or MessageType.MsgVoteResp)) throw new RaftInvariantException($"{m.Type} addressed to itself");
            _msgsAfterAppend.Add(m);
            return;
        }
        _msgs.Add(m);
    }

    public override string ToString() => $"raft {Id:x} term={Term} vote={Vote:x} lead={Lead:x} role={Role} {_log} {_config}";
}
