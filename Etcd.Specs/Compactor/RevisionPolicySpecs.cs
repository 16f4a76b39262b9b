using Etcd.Actors.Compactor.Core;
using Xunit;

namespace Etcd.Specs.Compactor;

/// <summary>etcd 3.4's revision compactor (etcdserver/api/v3compactor/revision_test.go: TestRevision, TestRevisionPause).</summary>
public sealed class RevisionPolicySpecs
{
    private static readonly TimeSpan Now = TimeSpan.Zero;

    [Fact]
    public void Keeps_the_last_retention_revisions_and_skips_a_revision_already_compacted_to()
    {
        var p = new RevisionPolicy(10, TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromMinutes(5), p.Interval);
        p.Started(Now, 0);
        Assert.Null(p.Tick(Now, 1, paused: false));    // 1 - 10 ≤ 0: nothing
        Assert.Equal(90, p.Tick(Now, 100, paused: false));
        p.Succeeded(Now, 90);
        Assert.Null(p.Tick(Now, 100, paused: false));  // the same revision again: skipped
        Assert.Equal(190, p.Tick(Now, 200, paused: false));
    }

    [Fact]
    public void Nothing_happens_while_paused_and_the_first_tick_after_compacts()
    {
        var p = new RevisionPolicy(10, TimeSpan.FromMinutes(5));
        p.Started(Now, 100);
        for (var i = 0; i < 36; i++) Assert.Null(p.Tick(Now, 100, paused: true)); // three hours
        Assert.Equal(90, p.Tick(Now, 100, paused: false));
    }

    [Fact]
    public void A_failed_compaction_is_tried_again_at_the_next_tick()
    {
        var p = new RevisionPolicy(10, TimeSpan.FromMinutes(5));
        p.Started(Now, 50);
        Assert.Equal(40, p.Tick(Now, 50, paused: false));
        Assert.Equal(40, p.Tick(Now, 50, paused: false));
    }
}
