using Etcd.Actors.Raft;
using Xunit;

namespace Etcd.Specs.Raft;

public sealed class MemberRemovalSpecs
{
    private const int StopTicks = 5;

    [Fact]
    public void Removed_members_are_remembered_and_no_others()
    {
        var removal = new MemberRemoval(StopTicks);
        Assert.False(removal.IsRemoved(2));
        removal.NoteRemoved(2);
        removal.NoteRemoved(2);
        Assert.True(removal.IsRemoved(2));
        Assert.False(removal.IsRemoved(3));
    }

    [Fact]
    public void Leaving_the_configuration_counts_only_after_having_been_in_it()
    {
        var removal = new MemberRemoval(StopTicks);
        Assert.False(removal.LeftConfig(inConfig: false)); // a joining member not yet added
        Assert.False(removal.LeftConfig(inConfig: true));
        Assert.True(removal.LeftConfig(inConfig: false));
        Assert.True(removal.LeftConfig(inConfig: false));

        var recovered = new MemberRemoval(StopTicks);
        recovered.Recovered(inConfig: true);
        Assert.True(recovered.LeftConfig(inConfig: false));
        var notMember = new MemberRemoval(StopTicks);
        notMember.Recovered(inConfig: false);
        Assert.False(notMember.LeftConfig(inConfig: false));
    }

    [Fact]
    public void The_stop_is_due_once_exactly_stop_ticks_after_the_first_notice()
    {
        var removal = new MemberRemoval(StopTicks);
        for (long t = 0; t < 20; t++) Assert.False(removal.StopDue(t));
        Assert.True(removal.StartStopping(20));
        Assert.False(removal.StartStopping(22)); // a second notice neither logs again nor restarts the count
        var due = Enumerable.Range(20, 30).Where(t => removal.StopDue(t)).ToArray();
        Assert.Equal([20 + StopTicks], due);
        Assert.False(removal.StartStopping(60));
    }
}
