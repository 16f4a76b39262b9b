using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// Data-driven Raft scenarios (etcd-io/raft testdata style): each file in Raft/Scenarios is a script of
/// commands with the exact output each must produce. Regenerate after a deliberate behaviour change with
/// <c>RAFT_SCENARIO_REWRITE=1 dotnet test ... --filter RaftScenarioSpecs</c>, then review the diff.
/// </summary>
public class RaftScenarioSpecs
{
    private static string Dir => Path.Combine(RepoPaths.Root, "Etcd.Specs", "Raft", "Scenarios");

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Dir, "*.txt").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario(string file) => ScenarioRunner.Run(Path.Combine(Dir, file));

    [Fact]
    public void The_parser_reads_blocks_with_empty_and_multiline_outputs()
    {
        var blocks = ScenarioFile.Parse("# c\nadd-nodes n=3 seed=2\n----\n\nstatus id=1\n----\na\nb\n");
        Assert.Equal(2, blocks.Count);
        Assert.Equal(["# c"], blocks[0].Comments);
        Assert.Equal("add-nodes", blocks[0].Command);
        Assert.Equal("2", blocks[0].Arg("seed"));
        Assert.Equal("", blocks[0].Expected);
        Assert.Equal("a\nb", blocks[1].Expected);
        Assert.Equal("# c\nadd-nodes n=3 seed=2\n----\n\nstatus id=1\n----\na\nb\n", ScenarioFile.Render(blocks, ["", "a\nb"]));
    }
}
