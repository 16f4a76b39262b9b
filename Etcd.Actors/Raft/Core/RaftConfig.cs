namespace Etcd.Actors.Raft.Core;

/// <summary>Static parameters of one Raft member (etcd's raft.Config).</summary>
public sealed record RaftConfig
{
    /// <summary>This member's id; never 0 (0 means "nobody" in votes and leads).</summary>
    public required ulong Id { get; init; }

    /// <summary>
    /// Voting members when neither a snapshot nor the log defines the configuration. A cluster bootstrapped
    /// with <see cref="RaftNode.Bootstrap"/> keeps its configuration in conf change entries and passes none
    /// here; so does a member joining an existing cluster, which learns it from the leader.
    /// </summary>
    public IReadOnlyList<ulong> Voters { get; init; } = [];

    /// <summary>Learners in that same starting configuration.</summary>
    public IReadOnlyList<ulong> Learners { get; init; } = [];

    /// <summary>Ticks without hearing from a leader before campaigning; the actual timeout is randomized in [ElectionTick, 2*ElectionTick).</summary>
    public int ElectionTick { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats; must be smaller than ElectionTick.</summary>
    public int HeartbeatTick { get; init; } = 1;

    /// <summary>Most entries in one MsgApp.</summary>
    public int MaxEntriesPerMsg { get; init; } = 1024;

    /// <summary>Most entry bytes in one MsgApp (Akka.Remote's frame limit is 128 KiB; the transport chunks above it).</summary>
    public long MaxBytesPerMsg { get; init; } = 64 * 1024;

    /// <summary>Most MsgApp in flight to one follower in Replicate state.</summary>
    public int MaxInflightMsgs { get; init; } = 256;

    /// <summary>Run a pre-vote before bumping the term, so a rejoining partitioned node does not depose a healthy leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader steps down when it has not heard from a quorum within an election timeout.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Highest index the state machine already holds (e.g. from a snapshot); committed entries are handed out after it.</summary>
    public ulong Applied { get; init; }

    /// <summary>Seeded randomness for election jitter; required so runs are replayable.</summary>
    public required IRandomSource Random { get; init; }

    internal void Validate()
    {
        if (Id == 0) throw new ArgumentException("raft id must not be 0");
        if (HeartbeatTick <= 0) throw new ArgumentException("heartbeat tick must be > 0");
        if (ElectionTick <= HeartbeatTick) throw new ArgumentException("election tick must be > heartbeat tick");
        if (MaxInflightMsgs <= 0) throw new ArgumentException("max inflight messages must be > 0");
        if (MaxEntriesPerMsg <= 0) throw new ArgumentException("max entries per message must be > 0");
    }
}
