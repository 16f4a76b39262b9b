using Xunit;

namespace Etcd.Specs.Support;

/// <summary>
/// Three Etcd.Node processes and three real etcd 3.4 processes, each a cluster of its own on free ports, shared by the
/// specs of <see cref="Collection"/> (starting six processes once, not per spec). Specs that share it write under
/// their own key prefix, name revisions relative to their own start, and revoke the leases they grant.
/// </summary>
public sealed class ClusterPair : IAsyncLifetime
{
    public const string Collection = "Etcd.Node and etcd 3.4 clusters";

    private readonly TempDir _oursDir = new("pair-ours");
    private readonly TempDir _etcdDir = new("pair-etcd");

    public ProcessCluster Ours { get; private set; } = null!;

    /// <summary>Three real etcd 3.4 members (<see cref="ProcessCluster.CreateReference"/>).</summary>
    public ProcessCluster Etcd { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Ours = ProcessCluster.Create(_oursDir);
        Etcd = ProcessCluster.CreateReference(_etcdDir);
        await Task.WhenAll(Ours.StartAsync(), Etcd.StartAsync());
    }

    public async Task DisposeAsync()
    {
        if (Ours is not null) await Ours.DisposeAsync();
        if (Etcd is not null) await Etcd.DisposeAsync();
        _oursDir.Dispose();
        _etcdDir.Dispose();
    }
}
