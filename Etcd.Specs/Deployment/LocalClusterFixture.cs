using Etcd.Specs.Deployment.Support;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Deployment;

/// <summary>
/// The Procfile's three members as real processes, moved onto free loopback ports in a temp dir
/// (<see cref="RelocatedLocalCluster"/>), started together and stopped by PID when the class is done.
/// </summary>
public sealed class LocalClusterFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new("etcd-local-cluster");

    public RelocatedLocalCluster Cluster { get; private set; } = null!;

    public IReadOnlyList<NodeProcess> Nodes { get; private set; } = [];

    /// <summary>From starting the three processes to all three serving clients (a measured figure, not a bound).</summary>
    public TimeSpan StartedIn { get; private set; }

    /// <summary>Every member's client endpoint, for etcdctl's --endpoints.</summary>
    public string Endpoints => string.Join(',', Cluster.Members.Select(m => m.Endpoint));

    public async Task InitializeAsync()
    {
        Cluster = RelocatedLocalCluster.Create(_dir.Path, Procfile.Load());
        Nodes = Cluster.Members.Select(m => NodeProcess.WithArguments(
            Cluster.Directory, m.DataDir, m.Name, m.ClientUrl.Port, m.PeerUrl.Port, m.Arguments)).ToArray();
        try
        {
            // Together: each member is ready only once a leader is elected, which needs a quorum up.
            var started = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(Nodes.Select(n => n.StartAsync()));
            StartedIn = started.Elapsed;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            await Task.WhenAll(Nodes.Select(n => n.StopAsync()));
        }
        finally
        {
            // SIGKILL by PID for any member the graceful stop did not end.
            foreach (var node in Nodes) await node.DisposeAsync();
            _dir.Dispose();
        }
    }
}
