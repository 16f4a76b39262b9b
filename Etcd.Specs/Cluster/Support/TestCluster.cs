using Akka.Actor;
using Akka.Remote;
using Akka.Remote.Transport;
using Etcd.Actors.Raft;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;

namespace Etcd.Specs.Cluster;

/// <summary>
/// Several real members in this process, each with its own ActorSystem, data directory and Akka.Remote
/// endpoint on a free loopback port, talking Raft over real TCP. Faults are injected at the transport:
/// Akka.Remote's throttler adapter blackholes the links of a partitioned member (both directions), so
/// everything above the socket — the Raft messages, the forwarding, the snapshot streams — is the real thing.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public const string ThrottlerHocon = """
        akka.remote.dot-netty.tcp.applied-adapters = [trttl]
        akka.remote.etcd-peer.applied-adapters = [trttl]
        """;

    /// <summary>CLUSTER_SPEC_LOGLEVEL=INFO (or DEBUG) shows what the members log while a spec runs.</summary>
    private static string LogLevelHocon => Environment.GetEnvironmentVariable("CLUSTER_SPEC_LOGLEVEL") is { } level
        ? $"akka.loglevel = {level}"
        // Quietly into SpecLogBuffer: shown only when a spec times out waiting for the cluster.
        : "akka.loglevel = INFO\n" + SpecLogBuffer.Hocon;

    private readonly TempDir _dir = new("etcd-cluster");
    private readonly EtcdServerSettings[] _settings;
    private readonly EtcdNode?[] _nodes;

    private TestCluster(EtcdServerSettings[] settings)
    {
        _settings = settings;
        _nodes = new EtcdNode?[settings.Length];
    }

    public int Count => _nodes.Length;

    public EtcdNode this[int i] => _nodes[i] ?? throw new InvalidOperationException($"member {i} is down");

    public bool IsUp(int i) => _nodes[i] is not null;

    public EtcdServerSettings Settings(int i) => _settings[i];

    public IEnumerable<int> Up => Enumerable.Range(0, Count).Where(IsUp);

    public static async Task<TestCluster> StartAsync(int members, Func<EtcdServerSettings, EtcdServerSettings>? tweak = null)
    {
        var peers = Enumerable.Range(0, members).Select(i => (Name: $"m{i}", Url: $"http://127.0.0.1:{FreePort.Next()}")).ToArray();
        var cluster = new TestCluster(new EtcdServerSettings[members]);
        for (var i = 0; i < members; i++)
        {
            var s = EtcdServerSettings.Default with
            {
                Name = peers[i].Name,
                DataDir = cluster._dir.Sub(peers[i].Name),
                ListenPeerUrls = [peers[i].Url],
                AdvertisePeerUrls = [peers[i].Url],
                AdvertiseClientUrls = [$"http://127.0.0.1:{FreePort.Next()}"],
                InitialCluster = peers.Select(p => new KeyValuePair<string, IReadOnlyList<string>>(p.Name, [p.Url])).ToArray(),
                InitialClusterToken = "test-cluster",
                LogLevel = "warn",
                ExtraHocon = ThrottlerHocon + "\n" + LogLevelHocon,
            };
            cluster._settings[i] = tweak is null ? s : tweak(s);
        }
        try
        {
            // Every member waits for a leader, so they must start together.
            await Task.WhenAll(Enumerable.Range(0, members).Select(cluster.StartMemberAsync)).WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Starts (or restarts, from its data directory) member <paramref name="i"/> and waits until it serves.</summary>
    public async Task StartMemberAsync(int i)
    {
        if (_nodes[i] is not null) throw new InvalidOperationException($"member {i} is running");
        try
        {
            _nodes[i] = await EtcdNode.StartAsync(_settings[i]).WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"member {i} did not start within 90 s\n{Diagnostics()}", e);
        }
    }

    /// <summary>
    /// A crash as far as one process can fake it: the ActorSystem goes away without a leader transfer or a
    /// graceful Raft stop; what its journal had written is what it recovers from.
    /// </summary>
    public async Task CrashAsync(int i)
    {
        var node = this[i];
        _nodes[i] = null;
        await node.System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Blackholes every link between <paramref name="i"/> and the other members, both directions.</summary>
    public Task IsolateAsync(int i) => Task.WhenAll(Up.Where(j => j != i).Select(j => SetLinkAsync(i, j, Blackhole.Instance)));

    /// <summary>Cuts the links between the two groups.</summary>
    public Task PartitionAsync(IReadOnlyCollection<int> side, IReadOnlyCollection<int> other) =>
        Task.WhenAll(side.SelectMany(a => other.Select(b => SetLinkAsync(a, b, Blackhole.Instance))));

    /// <summary>Restores every link between running members.</summary>
    public Task HealAsync() =>
        Task.WhenAll(Up.SelectMany(a => Up.Where(b => b != a).Select(b => SetLinkAsync(a, b, Unthrottled.Instance))));

    /// <summary>Sets the throttle on both ends of the link, so neither side's messages cross it.</summary>
    private async Task SetLinkAsync(int a, int b, ThrottleMode mode)
    {
        await Throttle(a, b, mode);
        await Throttle(b, a, mode);
    }

    private Task Throttle(int from, int to, ThrottleMode mode)
    {
        if (!IsUp(from)) return Task.CompletedTask;
        var system = (ExtendedActorSystem)this[from].System;
        var protocol = system.Provider.DefaultAddress.Protocol;
        var address = Address.Parse(PeerDirectory.AddressOf(_settings[to].AdvertisePeerUrls[0], protocol));
        var transport = ((IRemoteActorRefProvider)system.Provider).Transport;
        return transport.ManagementCommand(new SetThrottle(address, ThrottleTransportAdapter.Direction.Both, mode));
    }

    /// <summary>The member every running member in <paramref name="among"/> agrees leads (polls Status: an observation, not a sleep).</summary>
    public async Task<int> LeaderAsync(IEnumerable<int>? among = null, TimeSpan? within = null)
    {
        var members = (among ?? Up).ToArray();
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var leaders = new List<ulong>();
            foreach (var i in members)
            {
                try
                {
                    leaders.Add((await this[i].Server.StatusAsync().WaitAsync(TimeSpan.FromSeconds(2))).Leader);
                }
                catch (Exception e) when (e is TimeoutException or Etcd.Actors.Errors.EtcdException)
                {
                    leaders.Add(0);
                }
            }
            var lead = leaders[0];
            if (lead != 0 && leaders.All(l => l == lead))
            {
                var index = Array.FindIndex(_nodes, n => n?.Server.MemberId == lead);
                if (index >= 0 && members.Contains(index)) return index;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no leader agreed by members {string.Join(',', members)} (saw {string.Join(',', leaders.Select(l => l.ToString("x")))})\n{Diagnostics()}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Polls a condition that has no event to await (a member's own view of its role or leader, which no
    /// message crosses the ActorSystems for), every 50 ms and for at most 30 s.
    /// </summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(failure);
            await Task.Delay(50);
        }
    }

    /// <summary>What each member logged last (from <see cref="SpecLogBuffer"/>), for a spec's failure message.</summary>
    public string Diagnostics(int lines = 40)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            var port = new Uri(_settings[i].ListenPeerUrls[0]).Port;
            sb.AppendLine($"--- m{i} (peer port {port}, {(IsUp(i) ? "up" : "down")}) ---");
            foreach (var line in SpecLogBuffer.Tail(port, lines)) sb.AppendLine(line);
        }
        return sb.ToString();
    }

    /// <summary>Each running member's own view of who leads at which term (its Status).</summary>
    public async Task<(ulong Leader, ulong Term)[]> ViewsAsync() =>
        await Task.WhenAll(Up.Select(async i =>
        {
            var s = await this[i].Server.StatusAsync();
            return (s.Leader, s.RaftTerm);
        }));

    public int MemberIndex(ulong memberId) => Array.FindIndex(_nodes, n => n?.Server.MemberId == memberId);

    public static PutRequest Put(string key, string value) => new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) };

    public static RangeRequest Get(string key, bool serializable = false) => new() { Key = ByteString.CopyFromUtf8(key), Serializable = serializable };

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Where(n => n is not null).Select(n => n!.System.Terminate()));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
