using Etcd.Actors.Raft.Core;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Raft;

/// <summary>
/// Seeded randomized runs: ticks, proposals, message loss, reordering, duplication, partitions and
/// crash-restarts, with Raft's safety checks (RaftNetwork) on every Ready. The seed is printed; set
/// RAFT_SIM_SEED to replay one run.
/// </summary>
public class RaftSimulationSpecs(ITestOutputHelper output)
{
    public static TheoryData<ulong> Seeds()
    {
        var data = new TheoryData<ulong>();
        if (ulong.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_SEED"), out var fixedSeed)) data.Add(fixedSeed);
        else for (ulong s = 1; s <= 8; s++) data.Add(s * 7919);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_faults_never_break_safety_and_the_cluster_converges(ulong seed)
    {
        output.WriteLine($"seed={seed} (replay with RAFT_SIM_SEED={seed})");
        var ids = new ulong[] { 1, 2, 3, 4, 5 };
        var rnd = new SeededRandomSource(seed);
        var net = new RaftNetwork(seed, preVote: rnd.Next(2) == 0, checkQuorum: rnd.Next(2) == 0, ids);
        var partitioned = new HashSet<ulong>();
        net.Drop = m => partitioned.Contains(m.From) != partitioned.Contains(m.To) || rnd.Next(100) < 5;
        var proposals = 0;

        for (var step = 0; step < 3000; step++)
        {
            switch (rnd.Next(100))
            {
                case < 20:
                    net.Tick(ids[rnd.Next(ids.Length)]);
                    break;
                case < 35:
                    if (net.Leader() is { } l && net[l].Propose(ByteString.CopyFromUtf8($"p{proposals}"))) proposals++;
                    break;
                case < 37:
                    partitioned.Clear();
                    for (var i = 0; i < rnd.Next(3); i++) partitioned.Add(ids[rnd.Next(ids.Length)]);
                    break;
                case < 38:
                    net.Restart(ids[rnd.Next(ids.Length)]);
                    break;
                default:
                    net.ProcessReadies();
                    if (net.InFlight.Count > 0)
                    {
                        var at = rnd.Next(net.InFlight.Count);
                        // Duplicate now and then: the network may deliver a message twice.
                        if (rnd.Next(100) < 3) net.InFlight.Add(net.InFlight[at].Clone());
                        net.Deliver(at);
                    }
                    break;
            }
        }

        // Heal everything and let the cluster settle: all members must converge on one log.
        partitioned.Clear();
        net.Drop = _ => false;
        for (var i = 0; i < 300 && !Converged(net); i++)
        {
            net.TickAll();
            net.Stabilize();
            if (net.Leader() is { } l && i % 20 == 0) net[l].Propose(ByteString.CopyFromUtf8($"heal{i}"));
        }
        if (!Converged(net))
            foreach (var n in net.Nodes.Values) output.WriteLine($"{n} applied={net.Applied[n.Id].Count}");
        Assert.True(Converged(net), $"seed {seed}: cluster did not converge");
        var leader = net.Leader()!.Value;
        output.WriteLine($"proposed={proposals} commit={net[leader].CommitIndex} term={net[leader].Term}");
        Assert.True(net[leader].CommitIndex > 0);
    }

    private static bool Converged(RaftNetwork net)
    {
        if (net.Leader() is not { } l) return false;
        var commit = net[l].CommitIndex;
        return net.Nodes.Values.All(n => n.Lead == l && n.CommitIndex == commit && n.AppliedIndex == commit) &&
               net.Applied.Values.All(a => a.Count == (int)commit);
    }
}
