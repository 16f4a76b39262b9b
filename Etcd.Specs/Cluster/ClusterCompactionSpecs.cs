using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Etcd.Actors.Compactor;
using Etcd.Api.Etcdserverpb;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Cluster.TestCluster;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Three real members, each with a revision-mode compactor (retention 5, checked every 200 ms): only the leader's
/// compactor proposes, every member applies the compaction from the log, and their HashKV agree afterwards.
/// </summary>
public sealed class ClusterCompactionSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster _cluster = null!;
    private readonly ConcurrentQueue<(int Member, long Revision)> _proposed = new();

    private sealed class Recorder : ReceiveActor
    {
        public Recorder(int member, ConcurrentQueue<(int, long)> into) =>
            Receive<CompactorProtocol.CompactionProposed>(p => into.Enqueue((member, p.Revision)));
    }

    public async Task InitializeAsync()
    {
        var compactor = CompactorSettings.Create(ConfigurationFactory.ParseString(
            "etcd.auto-compaction-mode = revision\netcd.auto-compaction-retention = \"5\"\netcd.compactor.revision-check-interval = 200ms"));
        _cluster = await TestCluster.StartAsync(3, s => s with { Compactor = compactor });
        foreach (var i in _cluster.Up)
        {
            var member = i;
            var recorder = _cluster[i].System.ActorOf(Props.Create(() => new Recorder(member, _proposed)));
            _cluster[i].System.EventStream.Subscribe(recorder, typeof(CompactorProtocol.CompactionProposed));
        }
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Only_the_leader_proposes_and_every_member_compacts_to_the_same_point()
    {
        var leader = await _cluster.LeaderAsync();
        long last = 0;
        for (var i = 0; i < 30; i++) last = (await _cluster[leader].Server.PutAsync(Put("cc/k" + (i % 4), "v" + i))).Header.Revision;

        await WaitUntilAsync(async () =>
        {
            var compacted = await Task.WhenAll(_cluster.Up.Select(i => _cluster[i].Server.HashKvAsync(new HashKVRequest())));
            return compacted.All(h => h.CompactRevision == last - 5);
        }, $"every member compacted to {last - 5}");

        var views = await _cluster.ViewsAsync();
        output.WriteLine($"leader m{leader}; proposals {string.Join(", ", _proposed.Select(p => $"m{p.Member}@{p.Revision}"))}");
        Assert.Equal(_cluster[leader].Server.MemberId, views[leader].Leader); // no leader change spoiled the count
        Assert.NotEmpty(_proposed);
        Assert.All(_proposed, p => Assert.Equal(leader, p.Member));

        var hashes = await Task.WhenAll(_cluster.Up.Select(i => _cluster[i].Server.HashKvAsync(new HashKVRequest { Revision = last })));
        Assert.Single(hashes.Select(h => h.Hash).Distinct());
    }
}
