using Etcd.Api.Etcdserverpb;
using Grpc.Net.Client;
using Xunit;

namespace Etcd.Specs.Support;

/// <summary>One real Etcd.Node per test class, in a temp dir, stopped by PID at the end.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    private readonly TempDir _dir = new("etcd-node");
    private GrpcChannel? _channel;

    public NodeFixture() => Node = new NodeProcess(_dir.Sub("data"));

    public NodeProcess Node { get; }

    public KV.KVClient Kv => new(_channel ??= GrpcChannel.ForAddress(Node.Endpoint));

    public Maintenance.MaintenanceClient Maintenance => new(_channel ??= GrpcChannel.ForAddress(Node.Endpoint));

    public Task InitializeAsync() => Node.StartAsync();

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        await Node.DisposeAsync();
        _dir.Dispose();
    }
}
