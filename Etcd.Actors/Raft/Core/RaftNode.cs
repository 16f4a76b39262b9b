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
    private readonly MajorityConfig _voters;
    private readonly Dictionary<ulong, Progress> _prs = new();
    private readonly Dictionary<ulong, bool> _votes = new();
    private readonly ReadOnlyQueue _readOnly = new();
    // ReadIndex requests that reached a new leader before it committed an entry of its own term; its
    // commit index might still be behind the previous leader's, so they wait for that first commit.
    private readonly List<ReadIndexRequest> _pendingReadIndex = [];
    private List<Message> _msgs = [];
    private List<ReadState> _readStates = [];
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private SoftState _prevSoft;
    private HardState _prevHard;
    private ulong _applying;
    private bool _readyOutstanding;

    private RaftNode(RaftConfig cfg, RaftRecoveredState recovered)
    {
        _cfg = cfg;
        _log = new RaftLog(recovered);
        _voters = new MajorityConfig(recovered.Snapshot?.ConfState?.Voters is { Count: > 0 } v ? v : cfg.Voters);
        var hs = recovered.HardState;
        Term = hs.Term;
        Vote = hs.Vote;
        _prevHard = hs.Clone();
        // Entries after the snapshot (or after what the host says it has applied) are handed out again;
        // the state machine's consistent index makes re-applying them idempotent.
        _applying = Math.Max(_log.Applied, Math.Min(cfg.Applied, _log.Committed));
        if (_applying > _log.Applied) _log.AppliedTo(_applying);
        BecomeFollower(Term, 0);
        _prevSoft = new SoftState(0, RaftRole.Follower);
    }

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

    public ulong Id => _cfg.Id;
    public ulong Term { get; private set; }
    public ulong Vote { get; private set; }
    public ulong Lead { get; private set; }
    public RaftRole Role { get; private set; }
    public ulong CommitIndex => _log.Committed;
    public ulong LastIndex => _log.LastIndex;
    public ulong AppliedIndex => _log.Applied;
    public IReadOnlyList<ulong> Voters => _voters.Voters;

    /// <summary>Read-only view for tests and diagnostics.</summary>
    public RaftLog Log => _log;

    /// <summary>The leader's view of a peer, for tests and diagnostics; null when not leader or unknown.</summary>
    public Progress? ProgressOf(ulong id) => Role == RaftRole.Leader && _prs.TryGetValue(id, out var p) ? p : null;

    private bool IsSingleVoter => _voters.Voters.Count == 1 && _voters.Contains(Id);
    private bool Promotable => _voters.Contains(Id);

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
        if (Role != RaftRole.Leader) return false;
        var m = new Message { Type = MessageType.MsgProp, From = Id };
        m.Entries.Add(new Entry { Type = EntryType.EntryNormal, Data = data });
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

    private SoftState CurrentSoft => new(Lead, Role);
    private HardState CurrentHard => new() { Term = Term, Vote = Vote, Commit = _log.Committed };

    /// <summary>True when there is work for the host and no Ready is outstanding.</summary>
    /// <summary>
    /// Bounds the in-memory log: forgets applied entries up to <paramref name="index"/>. Followers that need
    /// older entries are caught up by snapshot (the multi-node issue); the journal keeps everything.
    /// </summary>
    public void CompactLog(ulong index) => _log.CompactTo(Math.Min(index, Math.Min(_log.Applied, _log.StableLastIndex)));

    public bool HasReady()
    {
        if (_readyOutstanding) return false;
        return CurrentSoft != _prevSoft || !CurrentHard.Equals(_prevHard) || _log.Unstable.Entries.Count > 0 ||
               _msgs.Count > 0 || _readStates.Count > 0 || _log.HasNextCommitted(_applying);
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
        var rd = new Ready
        {
            SoftState = soft != _prevSoft ? soft : null,
            HardState = hard.Equals(_prevHard) ? null : hard,
            Entries = entries,
            CommittedEntries = committed,
            Messages = _msgs,
            ReadStates = _readStates,
            MustSync = entries.Count > 0 || hard.Term != _prevHard.Term || hard.Vote != _prevHard.Vote,
        };
        _msgs = [];
        _readStates = [];
        _prevSoft = soft;
        _prevHard = hard;
        if (committed.Count > 0) _applying = committed[^1].Index;
        _readyOutstanding = true;
        return rd;
    }

    /// <summary>The host has persisted, sent and applied <paramref name="rd"/>.</summary>
    public void Advance(Ready rd)
    {
        if (!_readyOutstanding) throw new InvalidOperationException("Advance without an outstanding Ready");
        if (rd.Entries.Count > 0)
        {
            var last = rd.Entries[^1];
            _log.StableTo(last.Index, last.Term);
        }
        if (rd.CommittedEntries.Count > 0) _log.AppliedTo(rd.CommittedEntries[^1].Index);
        _readyOutstanding = false;
    }

    private void Send(Message m)
    {
        m.From = Id;
        if (m.Type is MessageType.MsgVote or MessageType.MsgVoteResp or MessageType.MsgPreVote or MessageType.MsgPreVoteResp)
        {
            // Campaign messages carry the term they campaign for (pre-votes: Term+1), set by the caller.
            if (m.Term == 0) throw new RaftInvariantException($"{m.Type} sent without a term");
        }
        else
        {
            m.Term = Term;
        }
        _msgs.Add(m);
    }

    public override string ToString() => $"raft {Id:x} term={Term} vote={Vote:x} lead={Lead:x} role={Role} {_log}";
}
