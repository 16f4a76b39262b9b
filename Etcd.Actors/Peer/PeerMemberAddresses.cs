using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;

namespace Etcd.Actors.Peer;

/// <summary>
/// The source addresses the peer transport treats as the cluster's members: the hosts of the member table's peer URLs
/// as this member knows them. EtcdNode seeds it with the initial cluster's URLs (or the table a joining member was
/// given) and MvccStoreActor publishes its table whenever it changes (MvccStoreActor.Members.cs); the transport finds it
/// as a <see cref="PeerMembersSetup"/> (Transport/PeerTcpTransport.cs). Reads are lock-free (the accept loop asks once
/// per connection, a reader once per buffer growth). A member reaching us from an address its peer URL does not name
/// (NAT, another interface) counts as a stranger, as before.
/// <para>Host names are resolved off the caller's thread (the store publishes from its actor) by one background loop:
/// at once on a publish, then every refresh interval (30 s), and a name that failed sooner, after 1 s doubling up to the
/// refresh interval. Names of a Kubernetes StatefulSet (etcd-1.etcd-headless) resolve only once their pods are ready,
/// so a lookup at publish time alone left such members strangers for good, and a moved pod's new address unknown.
/// Each name is resolved apart (one that throws, e.g. over 255 characters, spoils no other) with a bound of its own
/// time; a failure is warned once per failure streak with its URL; a name that resolved once keeps its addresses until
/// it resolves again. Bounded: one lookup per name of the table per round, one round at a time. The loop ends on
/// <see cref="Dispose"/> (EtcdNode ties it to the ActorSystem's termination, <see cref="AttachTo"/>).</para>
/// </summary>
public sealed partial class PeerMemberAddresses : IDisposable
{
    private static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly TimeSpan _refresh;
    private readonly TimeSpan _retry;
    private readonly CancellationTokenSource _stopping = new();
    // Wakes the loop for a publish (at most one wake pending).
    private readonly SemaphoreSlim _wake = new(0, 1);
    // Host names of the table, each with the first URL naming it (for warnings), what it last resolved to and
    // whether it is failing now (warned once per streak).
    private readonly Dictionary<string, NameState> _names = new(StringComparer.OrdinalIgnoreCase);
    private HashSet<IPAddress> _literals = [];
    private volatile FrozenSet<IPAddress> _addresses = FrozenSet<IPAddress>.Empty;
    // Completed when the round after the latest publish has resolved its names.
    private TaskCompletionSource _nextRound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private Action<string> _warn = static _ => { };
    private int _disposed;

    public PeerMemberAddresses() : this(static (n, ct) => Dns.GetHostAddressesAsync(n, ct), DefaultRefresh, DefaultRetry)
    {
    }

    /// <param name="resolve">Looks a host name up (specs replace DNS).</param>
    /// <param name="refresh">How often every name is resolved again.</param>
    /// <param name="retry">The first wait before a failed name is tried again; it doubles up to <paramref name="refresh"/>.</param>
    internal PeerMemberAddresses(Func<string, CancellationToken, Task<IPAddress[]>> resolve, TimeSpan refresh, TimeSpan retry)
    {
        _resolve = resolve;
        _refresh = refresh;
        _retry = retry <= refresh ? retry : refresh;
    }

    private sealed class NameState(string url)
    {
        public string Url { get; } = url;
        public IPAddress[] Addresses { get; set; } = [];
        public bool Failing { get; set; }
    }

    /// <summary>Whether <paramref name="address"/> is a member's (an IPv4-mapped IPv6 address as the IPv4 one).</summary>
    public bool Contains(IPAddress address) => _addresses.Contains(Normalize(address));

    /// <summary>The addresses now known (specs, logs).</summary>
    public IReadOnlySet<IPAddress> Current => _addresses;

    /// <summary>Where warnings go (<see cref="AttachTo"/>; specs collect them).</summary>
    internal Action<string> Warn
    {
        set => _warn = value;
    }

    /// <summary>Warnings go to <paramref name="system"/>'s log, and the loop stops when it terminates.</summary>
    public void AttachTo(ActorSystem system)
    {
        var log = system.Log;
        _warn = m => log.Warning("{0}", m);
        system.RegisterOnTermination(Dispose);
    }

    /// <summary>Replaces the set with the hosts of <paramref name="peerUrls"/>: IP literals at once, host names when
    /// resolved (in the background; a name that does not resolve adds nothing until it does). Unparsable URLs are
    /// skipped. The task completes when the names were looked up once (nobody needs to wait for it; specs do).</summary>
    public Task Publish(IEnumerable<string> peerUrls)
    {
        var literals = new HashSet<IPAddress>();
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var url in peerUrls)
        {
            if (!TryHost(url, out var host, out var ip)) continue;
            if (ip is not null) literals.Add(Normalize(ip));
            else names.TryAdd(host, url);
        }
        Task round;
        lock (_gate)
        {
            if (_disposed != 0) return Task.CompletedTask;
            _literals = literals;
            // Names no longer in the table are forgotten (the state stays as large as the table); the others keep
            // what they resolved to, so a member named by host name is not a stranger while it resolves again.
            foreach (var stale in _names.Keys.Where(k => !names.ContainsKey(k)).ToList()) _names.Remove(stale);
            foreach (var (name, url) in names) _names.TryAdd(name, new NameState(url));
            Apply();
            if (names.Count == 0) return Task.CompletedTask;
            round = _nextRound.Task;
            _loop ??= Task.Run(LoopAsync);
        }
        try { _wake.Release(); }
        catch (SemaphoreFullException) { /* a wake is pending already */ }
        return round;
    }

    /// <summary>The host of a peer URL, and the address it names when it is an IP literal (an IPv6 one in brackets);
    /// false for a URL that is not absolute or has no host.</summary>
    public static bool TryHost(string url, out string host, out IPAddress? literal)
    {
        host = "";
        literal = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0) return false;
        host = uri.Host;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) literal = ip;
        return true;
    }

    /// <summary>Stops the background lookups (idempotent).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed != 0) return;
            _disposed = 1;
            _nextRound.TrySetResult();
        }
        _stopping.Cancel();
    }

    // Called under _gate.
    private void Apply()
    {
        var all = new HashSet<IPAddress>(_literals);
        foreach (var state in _names.Values)
            foreach (var a in state.Addresses) all.Add(Normalize(a));
        _addresses = all.ToFrozenSet();
    }

    /// <summary>IPv4-mapped IPv6 as IPv4, and without an IPv6 scope id (a peer URL names none).</summary>
    internal static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
        : address;
}
