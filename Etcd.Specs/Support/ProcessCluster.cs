using Etcd.Api.Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Etcd.Specs.Support;

/// <summary>
/// Three (or more) real Etcd.Node processes forming one cluster on free loopback ports, each with its data
/// in a directory of <paramref name="dir"/>: the flags a user would give etcd. Started together (each waits
/// for a leader), stopped by PID on dispose.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly List<GrpcChannel> _channels = [];

    private ProcessCluster(IReadOnlyList<NodeProcess> members)
    {
        Members = members;
        foreach (var m in members) _channels.Add(GrpcChannel.ForAddress(m.Endpoint));
    }

    public IReadOnlyList<NodeProcess> Members { get; }

    public NodeProcess this[int i] => Members[i];

    public static ProcessCluster Create(TempDir dir, int size = 3, params string[] extraArgs) => Build(false, dir, size, extraArgs);

    /// <summary>
    /// Our members with <paramref name="peerScheme"/> peer URLs ("https": peer TLS), each with the flags
    /// <paramref name="memberArgs"/> gives it (its certificate); <paramref name="clusterScheme"/> is what
    /// --initial-cluster says of each member (a member may be told the others' scheme wrongly).
    /// </summary>
    public static ProcessCluster Create(TempDir dir, Func<int, string> peerScheme, Func<int, string[]> memberArgs, int size = 3,
        Func<int, string>? clusterScheme = null)
    {
        var peers = Enumerable.Range(0, size).Select(i => (Name: $"infra{i}", Peer: FreePort.Next())).ToArray();
        var members = peers.Select((p, i) =>
        {
            var scheme = (clusterScheme ?? peerScheme)(i);
            var cluster = string.Join(',', peers.Select(q => $"{q.Name}={scheme}://127.0.0.1:{q.Peer}"));
            string[] args = ["--initial-cluster", cluster, "--initial-cluster-token", "process-cluster", .. memberArgs(i)];
            return new NodeProcess(dir.Sub(p.Name), p.Name, peerPort: p.Peer, extraArgs: args) { PeerScheme = peerScheme(i) };
        }).ToArray();
        return new ProcessCluster(members);
    }

    /// <summary>The same cluster of real etcd 3.4 processes: the reference a cluster spec compares ours with.</summary>
    public static ProcessCluster CreateReference(TempDir dir, int size = 3) => Build(true, dir, size, []);

    private static ProcessCluster Build(bool reference, TempDir dir, int size, string[] extraArgs)
    {
        var peers = Enumerable.Range(0, size).Select(i => (Name: $"infra{i}", Peer: FreePort.Next())).ToArray();
        var cluster = string.Join(',', peers.Select(p => $"{p.Name}=http://127.0.0.1:{p.Peer}"));
        string[] args = ["--initial-cluster", cluster, "--initial-cluster-token", "process-cluster", .. extraArgs];
        var members = peers.Select(p => reference
            ? NodeProcess.ReferenceMember(dir.Sub(p.Name), p.Name, p.Peer, args)
            : new NodeProcess(dir.Sub(p.Name), p.Name, peerPort: p.Peer, extraArgs: args)).ToArray();
        return new ProcessCluster(members);
    }

    public Task StartAsync() => Task.WhenAll(Members.Select(m => m.StartAsync()));

    public string Endpoints => string.Join(',', Members.Select(m => m.Endpoint));

    public KV.KVClient Kv(int i) => new(_channels[i]);

    public Maintenance.MaintenanceClient Maintenance(int i) => new(_channels[i]);

    public Etcd.Api.Etcdserverpb.Watch.WatchClient Watch(int i) => new(_channels[i]);

    /// <summary>The member every running member (per <paramref name="running"/>) names as leader; polls Status until they agree.</summary>
    public async Task<int> LeaderAsync(Func<int, bool>? running = null, TimeSpan? within = null)
    {
        running ??= _ => true;
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var seen = new List<ulong>();
            var ids = new Dictionary<ulong, int>();
            for (var i = 0; i < Members.Count; i++)
            {
                if (!running(i)) continue;
                try
                {
                    var s = await Maintenance(i).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                    seen.Add(s.Leader);
                    ids[s.Header.MemberId] = i;
                }
                catch (RpcException)
                {
                    seen.Add(0);
                }
            }
            if (seen.Count > 0 && seen[0] != 0 && seen.All(l => l == seen[0]) && ids.TryGetValue(seen[0], out var index)) return index;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no agreed leader among running members (saw {string.Join(',', seen.Select(l => l.ToString("x")))})");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        foreach (var m in Members)
        {
            // A paused member must be resumed before it can die of SIGKILL's cleanup path in the runtime.
            if (m.IsRunning) Signals.Send(m.Pid, Signals.SIGCONT);
            await m.DisposeAsync();
        }
    }
}
