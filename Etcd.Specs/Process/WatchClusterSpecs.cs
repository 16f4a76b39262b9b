using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;

namespace Etcd.Specs.Process;

/// <summary>
/// Watches on three real processes while the leader is SIGKILLed and restarted under a write load: a watcher on a
/// follower and one on the third member see exactly the committed history of their prefix (checked against a
/// watcher that reads the whole history from revision 1 afterwards, and against every acknowledged write), in
/// order, each txn's events in one response, every header revision a valid resume point.
/// </summary>
public sealed class WatchClusterSpecs(ITestOutputHelper output)
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task Watchers_on_followers_see_the_committed_history_across_a_leader_kill()
    {
        using var dir = new TempDir("etcd-watch-cluster");
        await using var cluster = ProcessCluster.Create(dir);
        await cluster.StartAsync();
        var leader = await cluster.LeaderAsync();
        var follower = (leader + 1) % 3;
        var third = (leader + 2) % 3;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var onFollower = await Recorder.StartAsync(cluster.Watch(follower), 0, cts.Token);
        var onThird = await Recorder.StartAsync(cluster.Watch(third), 0, cts.Token);

        var acked = new List<(string Key, string Value, long Rev)>();
        var up = new[] { true, true, true };
        async Task WriteAsync(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var via = Enumerable.Range(0, 3).Where(m => up[m]).ElementAt(i % up.Count(u => u));
                var key = $"k/{i % 7}";
                var value = $"v{acked.Count}-{i}";
                try
                {
                    if (i % 5 == 0)
                    {
                        // A txn of two puts: its events must arrive together.
                        var r = await cluster.Kv(via).TxnAsync(new TxnRequest
                        {
                            Success =
                            {
                                new RequestOp { RequestPut = new PutRequest { Key = B(key), Value = B(value) } },
                                new RequestOp { RequestPut = new PutRequest { Key = B("k/txn"), Value = B(value) } },
                            },
                        }, deadline: DateTime.UtcNow.AddSeconds(10));
                        acked.Add((key, value, r.Header.Revision));
                    }
                    else
                    {
                        var r = await cluster.Kv(via).PutAsync(new PutRequest { Key = B(key), Value = B(value) }, deadline: DateTime.UtcNow.AddSeconds(10));
                        acked.Add((key, value, r.Header.Revision));
                    }
                }
                catch (RpcException)
                {
                    // Unavailable during the election, or ambiguous: only acknowledged writes are checked.
                }
            }
        }

        await WriteAsync(60);
        await cluster[leader].KillAsync();
        up[leader] = false;
        await WriteAsync(60);
        await cluster[leader].StartAsync();
        up[leader] = true;
        await cluster.LeaderAsync();
        await WriteAsync(60);
        var end = await cluster.Kv(follower).PutAsync(new PutRequest { Key = B("k/end"), Value = B("end") });
        var last = end.Header.Revision;

        await onFollower.WaitUntilAsync(last, cts.Token);
        await onThird.WaitUntilAsync(last, cts.Token);
        // The whole history of the prefix, read back from revision 1 by a new watcher (the unsynced path).
        var history = await Recorder.StartAsync(cluster.Watch(third), 1, cts.Token);
        await history.WaitUntilAsync(last, cts.Token);
        output.WriteLine($"{acked.Count} acknowledged writes, {history.Events.Count} events up to revision {last}; follower watcher got {onFollower.Events.Count}");

        var all = history.Events.Select(Show).ToList();
        foreach (var (key, value, rev) in acked) Assert.Contains($"PUT {key}@{rev}={value}", all);
        foreach (var r in new[] { onFollower, onThird, history })
        {
            var expected = history.Events.Where(e => e.Kv.ModRevision > r.CreatedAt).Select(Show).ToList();
            Assert.Equal(expected, r.Events.Select(Show).Where(s => RevOf(s) <= last));
            r.CheckResponses(history.Events);
        }
        cts.Cancel();
    }

    private static string Show(Event e) => $"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key.ToStringUtf8()}@{e.Kv.ModRevision}={e.Kv.Value.ToStringUtf8()}";

    private static long RevOf(string shown) => long.Parse(shown.Split('@')[1].Split('=')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One watch stream on prefix "k/" and what it received.</summary>
    private sealed class Recorder
    {
        private readonly List<WatchResponse> _responses = new();
        private readonly object _gate = new();
        private long _upTo;

        public long CreatedAt { get; private set; }

        public List<Event> Events
        {
            get { lock (_gate) return _responses.SelectMany(r => r.Events).ToList(); }
        }

        public static async Task<Recorder> StartAsync(Etcd.Api.Etcdserverpb.Watch.WatchClient client, long start, CancellationToken ct)
        {
            var r = new Recorder();
            var call = client.Watch(cancellationToken: ct);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = B("k/"), RangeEnd = B("k0"), StartRevision = start },
            });
            if (!await call.ResponseStream.MoveNext(ct)) throw new InvalidOperationException("watch stream ended");
            var created = call.ResponseStream.Current;
            Assert.True(created.Created);
            Assert.False(created.Canceled);
            // The created answer's revision is where the watcher starts from: a valid resume point too.
            r.CreatedAt = start == 0 ? created.Header.Revision : start - 1;
            Assert.Equal(r.CreatedAt, created.Header.Revision);
            _ = Task.Run(async () =>
            {
                try
                {
                    while (await call.ResponseStream.MoveNext(ct))
                    {
                        var resp = call.ResponseStream.Current;
                        Assert.False(resp.Canceled, resp.CancelReason);
                        lock (r._gate)
                        {
                            r._responses.Add(resp);
                            r._upTo = Math.Max(r._upTo, resp.Header.Revision);
                        }
                    }
                }
                catch (RpcException) when (ct.IsCancellationRequested)
                {
                }
            }, CancellationToken.None);
            return r;
        }

        public async Task WaitUntilAsync(long revision, CancellationToken ct)
        {
            while (Volatile.Read(ref _upTo) < revision)
            {
                lock (_gate) if (_upTo >= revision) return;
                await Task.Delay(50, ct);
            }
        }

        /// <summary>Every response: its revision a resume point (everything up to it arrived), and no revision split.</summary>
        public void CheckResponses(IReadOnlyList<Event> history)
        {
            var got = 0;
            List<WatchResponse> responses;
            lock (_gate) responses = _responses.ToList();
            foreach (var resp in responses)
            {
                got += resp.Events.Count;
                var upTo = history.Count(e => e.Kv.ModRevision > CreatedAt && e.Kv.ModRevision <= resp.Header.Revision);
                Assert.True(got == upTo, $"response at {resp.Header.Revision}: {got} events received, {upTo} committed by then");
                foreach (var rev in resp.Events.Select(e => e.Kv.ModRevision).Distinct())
                    Assert.Equal(history.Count(e => e.Kv.ModRevision == rev), resp.Events.Count(e => e.Kv.ModRevision == rev));
            }
        }
    }
}
