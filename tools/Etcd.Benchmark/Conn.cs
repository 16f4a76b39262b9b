using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Etcd.Benchmark;

/// <summary>
/// One gRPC channel that is exactly one HTTP/2 connection, with a client of each etcd service the
/// benchmark uses (clients are thin wrappers over the channel, so holding all three costs nothing).
/// With --cacert/--cert/--key it speaks TLS; with --user every call carries the connection's token.
/// </summary>
public sealed class Conn : IDisposable
{
    public GrpcChannel Channel { get; }
    public KV.KVClient Kv { get; }
    public Lease.LeaseClient Lease { get; }
    public Watch.WatchClient Watch { get; }
    /// <summary>The connection's login (--user), or null.</summary>
    public TokenInterceptor? Token { get; }

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
        if (o.CaCert is not null) handler.SslOptions.CertificateChainPolicy = TrustOnly(o.CaCert);
        if (o.Cert is not null && o.Key is not null)
        {
            // Through PKCS#12 so the key is a persisted one, which SslStream can use for client authentication.
            using var pem = X509Certificate2.CreateFromPemFile(o.Cert, o.Key);
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }
        Channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
        CallInvoker invoker = Channel.CreateCallInvoker();
        if (o.User is not null)
        {
            Token = new TokenInterceptor(new Auth.AuthClient(Channel), o.User, o.Password ?? "");
            invoker = invoker.Intercept(Token);
        }
        Kv = new KV.KVClient(invoker);
        Lease = new Lease.LeaseClient(invoker);
        Watch = new Watch.WatchClient(invoker);
    }

    /// <summary>A chain policy that trusts the PEM bundle's certificates as roots and nothing else (no revocation fetches).</summary>
    private static X509ChainPolicy TrustOnly(string caFile)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(caFile);
        policy.CustomTrustStore.AddRange(bundle);
        return policy;
    }

    public void Dispose() => Channel.Dispose();
}
