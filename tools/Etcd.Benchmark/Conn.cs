using System.Net.Http;
using Etcd.Api.Etcdserverpb;
using Grpc.Net.Client;

namespace Etcd.Benchmark;

/// <summary>
/// One gRPC channel that is exactly one HTTP/2 connection, with a client of each etcd service the
/// benchmark uses (clients are thin wrappers over the channel, so holding all three costs nothing).
/// </summary>
public sealed class Conn : IDisposable
{
    public GrpcChannel Channel { get; }
    public KV.KVClient Kv { get; }
    public Lease.LeaseClient Lease { get; }
    public Watch.WatchClient Watch { get; }

    public Conn(string endpoint, BenchOptions o)
    {
        var handler = new SocketsHttpHandler
        {
            // One channel == one TCP connection: extra streams queue on it rather than
            // silently opening more connections, so --conns means what it says.
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(o.DialTimeoutSeconds),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        Channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
        Kv = new KV.KVClient(Channel);
        Lease = new Lease.LeaseClient(Channel);
        Watch = new Watch.WatchClient(Channel);
    }

    public void Dispose() => Channel.Dispose();
}
