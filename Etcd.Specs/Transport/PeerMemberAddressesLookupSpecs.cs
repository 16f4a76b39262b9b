using System.Collections.Concurrent;
using System.Net;
using Etcd.Actors.Peer;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Transport;

/// <summary>
/// The maintainers' review of issue 10's fix: host names of peer URLs are resolved again in the background (every
/// refresh interval, failures sooner), one failing name spoils no other, a failure streak is warned once with its URL,
/// and the lookups stop on dispose (Peer/PeerMemberAddresses.Refresh.cs).
/// </summary>
public sealed class PeerMemberAddressesLookupSpecs
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private static Task UntilAsync(Func<bool> condition, string what) => Poll.UntilAsync(condition, what, Within);

    [Fact]
    public async Task A_name_too_long_to_look_up_does_not_spoil_the_other_names()
    {
        // Over 255 characters: Dns throws ArgumentOutOfRangeException (not a SocketException) for it.
        var tooLong = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        using var members = new PeerMemberAddresses();
        var warnings = new ConcurrentQueue<string>();
        members.Warn = warnings.Enqueue;
        await members.Publish([$"http://{tooLong}:2380", "http://localhost:2380", "http://10.1.2.3:2380"]).WaitAsync(Within);
        Assert.True(members.Contains(IPAddress.Loopback), "localhost resolved");
        Assert.True(members.Contains(IPAddress.Parse("10.1.2.3")));
        Assert.Contains(warnings, w => w.Contains($"http://{tooLong}:2380"));
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_yet_is_tried_again_and_warned_once_per_streak()
    {
        // A StatefulSet's peer name resolves only once its pod is ready: here after the third lookup.
        var lookups = 0;
        var answer = IPAddress.Parse("10.0.0.7");
        using var members = new PeerMemberAddresses((name, _) =>
            Interlocked.Increment(ref lookups) <= 3
                ? Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException(11001))
                : Task.FromResult(new[] { answer }),
            refresh: TimeSpan.FromMinutes(10), retry: TimeSpan.FromMilliseconds(20));
        var warnings = new ConcurrentQueue<string>();
        members.Warn = warnings.Enqueue;
        await members.Publish(["http://etcd-1.etcd-headless:2380"]).WaitAsync(Within);
        Assert.False(members.Contains(answer));
        // Retried well before the refresh interval.
        await UntilAsync(() => members.Contains(answer), "the name resolved on a retry");
        Assert.Equal(4, Volatile.Read(ref lookups));
        var warned = Assert.Single(warnings);
        Assert.Contains("http://etcd-1.etcd-headless:2380", warned);
    }

    [Fact]
    public async Task Addresses_are_refreshed_and_lookups_stop_on_dispose()
    {
        var current = IPAddress.Parse("10.0.0.1");
        var lookups = 0;
        var members = new PeerMemberAddresses((_, _) =>
        {
            Interlocked.Increment(ref lookups);
            return Task.FromResult(new[] { Volatile.Read(ref current) });
        }, refresh: TimeSpan.FromMilliseconds(20), retry: TimeSpan.FromMilliseconds(20));
        await members.Publish(["http://etcd-0.etcd-headless:2380"]).WaitAsync(Within);
        Assert.True(members.Contains(IPAddress.Parse("10.0.0.1")));
        // The pod moved: its new address replaces the old one on a refresh.
        Volatile.Write(ref current, IPAddress.Parse("10.0.0.2"));
        await UntilAsync(() => members.Contains(IPAddress.Parse("10.0.0.2")) && !members.Contains(IPAddress.Parse("10.0.0.1")),
            "the new address replaced the old one");
        members.Dispose();
        // At most a round in flight finishes; then no more lookups.
        await Task.Delay(100);
        var after = Volatile.Read(ref lookups);
        await Task.Delay(200);
        Assert.Equal(after, Volatile.Read(ref lookups));
    }

    [Fact]
    public async Task A_name_that_no_longer_exists_loses_its_addresses_and_a_transient_failure_keeps_them()
    {
        // A rescheduled pod's old IP may be another host's by now: NXDOMAIN drops it; "try again" (a DNS server that
        // did not answer) is no news about the name and keeps what it had.
        var failing = 0;
        using var members = new PeerMemberAddresses((name, _) => Volatile.Read(ref failing) == 0
                ? Task.FromResult(new[] { IPAddress.Parse(name.StartsWith("gone") ? "10.0.0.5" : "10.0.0.6") })
                : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException(name.StartsWith("gone")
                    ? (int)System.Net.Sockets.SocketError.HostNotFound : (int)System.Net.Sockets.SocketError.TryAgain)),
            refresh: TimeSpan.FromMilliseconds(20), retry: TimeSpan.FromMilliseconds(20));
        await members.Publish(["http://gone.etcd-headless:2380", "http://flaky.etcd-headless:2380"]).WaitAsync(Within);
        Assert.True(members.Contains(IPAddress.Parse("10.0.0.5")));
        Assert.True(members.Contains(IPAddress.Parse("10.0.0.6")));
        Volatile.Write(ref failing, 1);
        await UntilAsync(() => !members.Contains(IPAddress.Parse("10.0.0.5")), "the name that does not exist lost its address");
        Assert.True(members.Contains(IPAddress.Parse("10.0.0.6")), "a transient failure keeps the address");
    }
}
