namespace Etcd.Node.Configuration;

/// <summary>
/// What the executable itself needs besides <see cref="Etcd.Actors.Server.EtcdServerSettings"/>: where Kestrel
/// listens, its HTTP/2 limits, and where and how much the capnslog-style log writes.
/// </summary>
public sealed record NodeOptions
{
    /// <summary>--listen-client-urls: each bound exactly; h2c on http://, HTTP/2 over TLS on https://.</summary>
    public required IReadOnlyList<string> ListenClientUrls { get; init; }

    /// <summary>The client TLS flags, served on the https:// client URLs.</summary>
    public required ClientTlsOptions ClientTls { get; init; }

    /// <summary>The peer TLS flags, served by Akka.Remote's TLS when the peer URLs are https.</summary>
    public required PeerTlsOptions PeerTls { get; init; }

    /// <summary>--max-concurrent-streams → Kestrel's HTTP/2 streams per connection (capped at int.MaxValue).</summary>
    public required long MaxConcurrentStreams { get; init; }

    /// <summary>--grpc-keepalive-interval → Kestrel's HTTP/2 keep-alive ping delay; zero disables pings.</summary>
    public required TimeSpan KeepAliveInterval { get; init; }

    /// <summary>--grpc-keepalive-timeout → Kestrel's HTTP/2 keep-alive ping timeout; zero disables it.</summary>
    public required TimeSpan KeepAliveTimeout { get; init; }

    /// <summary>--log-level (or debug when --debug): debug, info, warn, error, panic, fatal.</summary>
    public required string LogLevel { get; init; }

    /// <summary>--log-outputs=stdout; default and stderr write to stderr, as etcd does.</summary>
    public required bool LogToStdout { get; init; }

    /// <summary>False when no layer set --data-dir: etcd then warns that it uses ./&lt;name&gt;.etcd.</summary>
    public required bool DataDirGiven { get; init; }
}
