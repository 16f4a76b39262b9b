using Akka.Actor;

namespace Etcd.Actors.Raft;

/// <summary>
/// Where each peer's RaftActor can be reached. A peer URL keeps etcd's form (<c>http://10.0.0.1:2380</c>); its
/// host and port are the peer's Akka.Remote endpoint, and its entry point is the gateway
/// <c>akka.tcp://etcd@10.0.0.1:2380/user/etcd/peer</c>, which forwards to whichever RaftActor incarnation runs
/// there. The ref is resolved by path without a UID, so a restarted peer process is reached at the same path.
/// Peers are never DeathWatched (that quarantines a partitioned peer for good); Raft's own timeouts are
/// the only failure detector.
/// </summary>
public sealed class PeerDirectory(IActorRefProvider provider)
{
    // "akka.tcp", or with transport adapters (the throttler fault-injection specs use) e.g. "akka.trttl.tcp".
    private readonly string _protocol = provider.DefaultAddress.Protocol;

    /// <summary>The ActorSystem name every member uses; part of the peer path.</summary>
    public const string SystemName = "etcd";

    /// <summary>Name of the member's stable entry point for peers (see PeerGatewayActor), a child of /user/etcd.</summary>
    public const string GatewayName = "peer";

    /// <summary>Where peers send Raft traffic: the gateway, which forwards to the current RaftActor.</summary>
    public const string RaftPath = "/user/etcd/" + GatewayName;

    /// <summary>
    /// At most this many peers learned from the ref they wrote from (no URL yet): anyone who knows the cluster id
    /// may write with made-up member ids. Beyond it the oldest learned one is forgotten (a real leader is learned
    /// again from its next heartbeat); peers with a URL are never displaced.
    /// </summary>
    public const int MaxLearned = 8;

    private readonly Dictionary<ulong, (string Url, IActorRef Ref)> _peers = new();
    private readonly Queue<ulong> _learned = new();

    public int Count => _peers.Count;

    public IEnumerable<ulong> Ids => _peers.Keys;

    /// <summary>Sets (or moves) a peer to the first of <paramref name="peerUrls"/>; no-op when unchanged or empty.</summary>
    public void Set(ulong id, IReadOnlyList<string> peerUrls)
    {
        if (peerUrls.Count == 0) return;
        var url = peerUrls[0];
        if (_peers.TryGetValue(id, out var known) && known.Url == url) return;
        // The ref a learned peer wrote from carries its incarnation; the URL form survives its restarts.
        _peers[id] = (url, provider.ResolveActorRef(RaftActorPath(url, _protocol)));
    }

    /// <summary>
    /// A peer we have no address for wrote to us (a member that joined knows the leader before its member table
    /// does): answer through the ref it wrote from until the member table gives its URL.
    /// </summary>
    public void LearnFrom(ulong id, IActorRef sender)
    {
        if (_peers.ContainsKey(id) || sender.IsNobody() || sender.Path.Address.Host is null) return;
        // Entries that got a URL since, or were removed, no longer count.
        while (_learned.Count >= MaxLearned && _learned.TryDequeue(out var oldest))
            if (_peers.TryGetValue(oldest, out var p) && p.Url.Length == 0) _peers.Remove(oldest);
        // The sender is one RaftActor incarnation; its member's gateway outlives it.
        _peers[id] = ("", provider.ResolveActorRef(sender.Path.Address + RaftPath));
        _learned.Enqueue(id);
    }

    /// <summary>Peers known only from the ref they wrote from (see <see cref="MaxLearned"/>).</summary>
    public int LearnedCount => _peers.Values.Count(p => p.Url.Length == 0);

    public void Remove(ulong id) => _peers.Remove(id);

    /// <summary>The member whose RaftActor lives at <paramref name="address"/> (a transport event names only the address).</summary>
    public ulong? FindByAddress(Address address)
    {
        foreach (var (id, p) in _peers)
        {
            var a = p.Ref.Path.Address;
            if (a.Host == address.Host && a.Port == address.Port) return id;
        }
        return null;
    }

    public bool TryGet(ulong id, out IActorRef peer)
    {
        if (_peers.TryGetValue(id, out var p))
        {
            peer = p.Ref;
            return true;
        }
        peer = ActorRefs.Nobody;
        return false;
    }

    /// <summary><c>http://host:port</c> → <c>akka.tcp://etcd@host:port/user/etcd/peer</c>.</summary>
    public static string RaftActorPath(string peerUrl, string protocol = "akka.tcp") => AddressOf(peerUrl, protocol) + RaftPath;

    /// <summary><c>http://host:port</c> → <c>akka.tcp://etcd@host:port</c>.</summary>
    public static string AddressOf(string peerUrl, string protocol = "akka.tcp")
    {
        var uri = new Uri(peerUrl, UriKind.Absolute);
        if (uri.Port <= 0) throw new ArgumentException($"peer URL needs a port: {peerUrl}", nameof(peerUrl));
        return $"{protocol}://{SystemName}@{uri.Host}:{uri.Port}";
    }
}
