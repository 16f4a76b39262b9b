using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;

namespace Etcd.Actors.Peer;

/// <summary>
/// The source addresses the peer transport treats as the cluster's members: the hosts of the member table's peer URLs
/// as this member knows them. EtcdNode seeds it with the initial cluster's URLs (or the table a joining member was
/// given) and MvccStoreActor publishes its table whenever it changes (MvccStoreActor.Members.cs); the transport finds it
/// as a <see cref="PeerMembersSetup"/> (Transport/PeerTcpTransport.cs). Reads are lock-free (the accept loop asks once per connection). A member
/// reaching us from an address its peer URL does not name (NAT, another interface) counts as a stranger, as before.
/// </summary>
public sealed class PeerMemberAddresses
{
    private readonly Lock _gate = new();
    // Host names resolved by an earlier publish: kept while a newer one resolves, so a member named by host name is
    // not a stranger in between.
    private readonly Dictionary<string, IPAddress[]> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private volatile FrozenSet<IPAddress> _addresses = FrozenSet<IPAddress>.Empty;
    private long _generation;

    /// <summary>Whether <paramref name="address"/> is a member's (an IPv4-mapped IPv6 address as the IPv4 one).</summary>
    public bool Contains(IPAddress address) => _addresses.Contains(Normalize(address));

    /// <summary>The addresses now known (specs, logs).</summary>
    public IReadOnlySet<IPAddress> Current => _addresses;

    /// <summary>Replaces the set with the hosts of <paramref name="peerUrls"/>: IP literals at once, host names when
    /// resolved (in the background; a name that does not resolve adds nothing). Unparsable URLs are skipped. The task
    /// completes when the names are resolved (nobody needs to wait for it; specs do).</summary>
    public Task Publish(IEnumerable<string> peerUrls)
    {
        var literals = new HashSet<IPAddress>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var url in peerUrls)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0) continue;
            if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) literals.Add(Normalize(ip));
            else names.Add(uri.Host);
        }
        long generation;
        lock (_gate)
        {
            generation = ++_generation;
            // Names no longer in the table are forgotten (the cache stays as large as the table).
            foreach (var stale in _resolved.Keys.Where(k => !names.Contains(k)).ToList()) _resolved.Remove(stale);
            Apply(literals, names);
        }
        return names.Count > 0 ? ResolveAsync(generation, literals, names) : Task.CompletedTask;
    }

    private async Task ResolveAsync(long generation, HashSet<IPAddress> literals, HashSet<string> names)
    {
        var found = await Task.WhenAll(names.Select(async n =>
        {
            try { return (Name: n, Addresses: await Dns.GetHostAddressesAsync(n).ConfigureAwait(false)); }
            catch (SocketException) { return (Name: n, Addresses: Array.Empty<IPAddress>()); }
        })).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var (name, addresses) in found)
                if (addresses.Length > 0) _resolved[name] = addresses;
            // A newer publish owns the set now (it used what was resolved here, if it came in time).
            if (generation == _generation) Apply(literals, names);
        }
    }

    private void Apply(HashSet<IPAddress> literals, HashSet<string> names)
    {
        var all = new HashSet<IPAddress>(literals);
        foreach (var name in names)
            if (_resolved.TryGetValue(name, out var addresses))
                foreach (var a in addresses) all.Add(Normalize(a));
        _addresses = all.ToFrozenSet();
    }

    /// <summary>IPv4-mapped IPv6 as IPv4, and without an IPv6 scope id (a peer URL names none).</summary>
    internal static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes())
        : address;
}
