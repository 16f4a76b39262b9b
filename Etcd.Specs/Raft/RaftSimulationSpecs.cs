using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Raft;

/// <summary>
/// Seeded randomized runs of 3 and 5 bootstrapped members (<see cref="RaftSimulation"/>): faults of every kind,
/// compaction and snapshots, membership changes and leader transfers, with Raft's safety properties checked
/// after every step, then liveness once healed. A fixed set of seeds runs in CI; <c>RAFT_SIM_SEEDS=&lt;count&gt;</c>
/// runs that many, <c>RAFT_SIM_SEED=&lt;seed&gt;</c> replays one, <c>RAFT_SIM_STEPS</c> lengthens each run. A failure names its seed.
/// </summary>
public class RaftSimulationSpecs(ITestOutputHelper output)
{
    // RAFT_SIM_STEPS lengthens every run (for a deeper hunt than CI's).
    private static int Steps => int.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_STEPS"), out var n) && n > 0 ? n : 8000;

    public static TheoryData<ulong> Seeds()
    {
        var data = new TheoryData<ulong>();
        if (ulong.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_SEED"), out var fixedSeed))
        {
            data.Add(fixedSeed);
            return data;
        }
        var count = int.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_SEEDS"), out var n) && n > 0 ? n : 16;
        for (ulong s = 1; s <= (ulong)count; s++) data.Add(s * 7919);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Three_members_stay_safe_under_faults_and_membership_changes_and_converge(ulong seed) => Run(seed, 3);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Five_members_stay_safe_under_faults_and_membership_changes_and_converge(ulong seed) => Run(seed, 5);

    /// <summary>The hosts send as RaftActor does, without the empty MsgApps a later one of the same send supersedes.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Three_members_stay_safe_and_converge_when_superseded_empty_appends_are_not_sent(ulong seed) => Run(seed, 3, coalesceAppends: true);

    /// <summary>
    /// One voter and learners joining, promoted and removed (never fewer than one voter): the leader's own write
    /// alone decides what commits while it is the only voter, and its host sends to the learners before that write
    /// is durable, so a crash mid-write must leave no learner with an entry (or a term) the voter lost.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void One_voter_with_learners_stays_safe_under_faults_and_crashes_mid_write_and_converges(ulong seed) => Run(seed, 1, minVoters: 1);

    /// <summary>One voter and learners, the hosts sending as RaftActor does (without superseded empty MsgApps).</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void One_voter_with_learners_stays_safe_and_converges_when_superseded_empty_appends_are_not_sent(ulong seed) =>
        Run(seed, 1, minVoters: 1, coalesceAppends: true);

    /// <summary>
    /// Seeds that failed in longer runs than CI's (a stale-term vote lock-out, see RaftConfChangeSpecs). A seed
    /// replays the same run only while RaftSimulation draws its randomness the same way; the pure spec is the
    /// lasting regression, these keep the long runs in CI.
    /// </summary>
    [Theory]
    [InlineData(9502800UL, 3, 20000)]
    [InlineData(6485661UL, 3, 20000)]
    [InlineData(16883308UL, 5, 20000)]
    public void Seeds_that_once_failed_stay_green(ulong seed, int members, int steps) => Run(seed, members, steps);

    /// <summary>
    /// One-voter seeds that left a member holding entries its only remaining voter had lost in a crash mid-write,
    /// after it applied its own removal (RaftSimulation.CountsAStoppedVoter): without the hosts' drop of superseded
    /// empty MsgApps (8204084) and with it (1132417).
    /// </summary>
    [Theory]
    [InlineData(8204084UL, false)]
    [InlineData(1132417UL, true)]
    public void One_voter_seeds_that_once_failed_stay_green(ulong seed, bool coalesceAppends) =>
        Run(seed, 1, minVoters: 1, coalesceAppends: coalesceAppends);

    private void Run(ulong seed, int members, int? steps = null, int minVoters = 2, bool coalesceAppends = false)
    {
        output.WriteLine($"seed={seed} members={members} minVoters={minVoters} coalesceAppends={coalesceAppends} (replay with RAFT_SIM_SEED={seed})");
        var sim = new RaftSimulation(seed, members, Math.Min(minVoters, members), coalesceAppends);
        try
        {
            sim.Run(steps ?? Steps);
        }
        catch (Exception e)
        {
            output.WriteLine(sim.Describe());
            throw new InvalidOperationException($"seed {seed} ({members} members): {e.Message}", e);
        }
        output.WriteLine(sim.ToString());
        var converged = sim.Heal(400);
        if (!converged) output.WriteLine(sim.Describe());
        Assert.True(converged, $"seed {seed} ({members} members): the healed cluster did not converge");
        var leader = sim.Net[sim.Net.Leader()!.Value];
        output.WriteLine($"converged: leader={leader.Id} term={leader.Term} commit={leader.CommitIndex} {leader.Config}");
        Assert.True(leader.CommitIndex > 0);
    }
}
