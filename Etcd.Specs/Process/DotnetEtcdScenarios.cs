extern alias dotnetetcd;
using System.Diagnostics;
using dotnetetcd::dotnet_etcd;
using Etcd.Specs.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit;
using DnMvcc = dotnetetcd::Mvccpb;
using DnPb = dotnetetcd::Etcdserverpb;

namespace Etcd.Specs.Process;

/// <summary>
/// The dotnet-etcd client's Watch and Lease APIs, as an application uses them, through <see cref="ClientRoles"/>:
/// watches on a follower, writes on the leader and the third member. Each scenario asserts what etcd 3.4 answers, and
/// the specs run it on etcd 3.4 too, so an assertion that etcd itself would fail is caught there.
/// Keys are under a prefix of their own per run, so scenarios can share a cluster.
/// </summary>
internal static class DotnetEtcdScenarios
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static string NewPrefix(string scenario) => $"dn-{scenario}/{Guid.NewGuid():N}/";

    // The prefix's range end: its last byte plus one ('/' + 1 = '0').
    private static string RangeEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    /// <summary>
    /// EtcdClient.WatchAsync with a raw request (prefix, prev_kv) on the follower: created, then every put, delete and
    /// txn made through the other members, in order, with previous values, a txn's two events in one response, every
    /// header a resume point. The WatchManager's WatchRangeAsync from a past revision replays the same history as
    /// WatchEvents. After a compaction, a watch from below it is canceled with the compacted revision.
    /// </summary>
    public static async Task WatchAsync(ClientRoles at)
    {
        using var onF = new EtcdClient(at.Follower);
        using var onL = new EtcdClient(at.Leader);
        using var onO = new EtcdClient(at.Other);
        var prefix = NewPrefix("watch");

        var live = new Responses();
        await onF.WatchAsync(new DnPb.WatchRequest
        {
            CreateRequest = new DnPb.WatchCreateRequest { Key = B(prefix), RangeEnd = B(RangeEnd(prefix)), PrevKv = true },
        }, (DnPb.WatchResponse r) => live.Add(r));
        var created = await live.WaitForAsync(rs => rs.FirstOrDefault(r => r.Created), "the watch was never created");
        Assert.False(created.Canceled, created.CancelReason);

        var p1 = await onL.PutAsync(prefix + "a", "1");
        var p2 = await onO.PutAsync(prefix + "a", "2");
        var del = await onL.DeleteAsync(prefix + "a");
        var txn = new DnPb.TxnRequest();
        txn.Success.Add(new DnPb.RequestOp { RequestPut = new DnPb.PutRequest { Key = B(prefix + "b"), Value = B("x") } });
        txn.Success.Add(new DnPb.RequestOp { RequestPut = new DnPb.PutRequest { Key = B(prefix + "c"), Value = B("y") } });
        var t = await onO.TransactionAsync(txn);
        Assert.True(t.Succeeded);

        string[] history =
        [
            $"PUT {prefix}a=1@{p1.Header.Revision} prev=",
            $"PUT {prefix}a=2@{p2.Header.Revision} prev=1",
            $"DELETE {prefix}a=@{del.Header.Revision} prev=2",
            $"PUT {prefix}b=x@{t.Header.Revision} prev=",
            $"PUT {prefix}c=y@{t.Header.Revision} prev=",
        ];
        var responses = await live.WaitForAsync(rs => rs.Sum(r => r.Events.Count) >= history.Length ? rs : null, "the live watch missed events");
        Assert.Equal(history, responses.SelectMany(r => r.Events).Select(Show));
        Assert.All(responses, r => Assert.Equal(created.WatchId, r.WatchId));
        // Both of the txn's events in one response; each response's revision covers what it carries.
        Assert.Contains(responses, r => r.Events.Count == 2 && r.Events.All(e => e.Kv.ModRevision == t.Header.Revision));
        Assert.All(responses.Where(r => r.Events.Count > 0), r => Assert.True(r.Header.Revision >= r.Events.Max(e => e.Kv.ModRevision)));

        var replayed = new Events();
        await onO.GetWatchManager().WatchRangeAsync(prefix, p1.Header.Revision, e => replayed.Add(e));
        var events = await replayed.WaitForAsync(es => es.Count >= history.Length ? es : null, "WatchRangeAsync from a past revision missed events");
        Assert.Equal(
            [$"Put {prefix}a=1", $"Put {prefix}a=2", $"Delete {prefix}a=", $"Put {prefix}b=x", $"Put {prefix}c=y"],
            events.Select(e => $"{e.Type} {e.Key}={e.Value}"));

        await onL.CompactAsync(new DnPb.CompactionRequest { Revision = p2.Header.Revision });
        // The compaction answered once applied on the leader; a linearizable read on the follower returns once the
        // follower has applied it too (on etcd as here, a watch created before that replays the uncompacted history).
        await onF.GetAsync(prefix + "a");
        var below = new Responses();
        await onF.WatchAsync(new DnPb.WatchRequest
        {
            CreateRequest = new DnPb.WatchCreateRequest { Key = B(prefix + "a"), StartRevision = p1.Header.Revision },
        }, (DnPb.WatchResponse r) => below.Add(r));
        var canceled = await below.WaitForAsync(rs => rs.FirstOrDefault(r => r.Canceled), "a watch below the compaction was not canceled");
        Assert.Equal(p2.Header.Revision, canceled.CompactRevision);
        Assert.Empty(below.All.SelectMany(r => r.Events));
    }

    /// <summary>
    /// LeaseGrant (generated and chosen ids), Put with the lease through two members, LeaseTimeToLive with keys and
    /// LeaseLeases on the others, one LeaseKeepAlive (the call ends when the client closes its side), etcd's errors, and
    /// LeaseRevoke on the third member: the watcher on the follower sees both keys deleted in one revision.
    /// </summary>
    public static async Task LeaseAsync(ClientRoles at)
    {
        using var onF = new EtcdClient(at.Follower);
        using var onL = new EtcdClient(at.Leader);
        using var onO = new EtcdClient(at.Other);
        var prefix = NewPrefix("lease");
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var deletes = new Responses();
        await onF.WatchAsync(new DnPb.WatchRequest
        {
            CreateRequest = new DnPb.WatchCreateRequest { Key = B(prefix), RangeEnd = B(RangeEnd(prefix)), Filters = { DnPb.WatchCreateRequest.Types.FilterType.Noput } },
        }, (DnPb.WatchResponse r) => deletes.Add(r));
        await deletes.WaitForAsync(rs => rs.FirstOrDefault(r => r.Created), "the watch was never created");

        var grant = await onF.LeaseGrantAsync(new DnPb.LeaseGrantRequest { TTL = 30 });
        Assert.True(grant.ID > 0 && grant.TTL == 30 && grant.Error == "", grant.ToString());
        await onL.PutAsync(new DnPb.PutRequest { Key = B(prefix + "k1"), Value = B("v"), Lease = grant.ID });
        await onO.PutAsync(new DnPb.PutRequest { Key = B(prefix + "k2"), Value = B("v"), Lease = grant.ID });
        Assert.Equal(grant.ID, (await onF.GetAsync(prefix + "k2")).Kvs.Single().Lease);

        var ttl = await onO.LeaseTimeToLiveAsync(new DnPb.LeaseTimeToLiveRequest { ID = grant.ID, Keys = true });
        Assert.True(ttl.ID == grant.ID && ttl.GrantedTTL == 30 && ttl.TTL is > 0 and <= 30, ttl.ToString());
        Assert.Equal([prefix + "k1", prefix + "k2"], ttl.Keys.Select(k => k.ToStringUtf8()).Order(StringComparer.Ordinal));
        Assert.Contains(grant.ID, (await onO.LeaseLeasesAsync()).Leases.Select(l => l.ID));

        var answers = new List<DnPb.LeaseKeepAliveResponse>();
        await onF.LeaseKeepAlive(new DnPb.LeaseKeepAliveRequest { ID = grant.ID }, r => answers.Add(r), bound.Token).WaitAsync(bound.Token);
        Assert.True(answers is [{ TTL: 30 }] && answers[0].ID == grant.ID, string.Join(", ", answers));

        // A chosen id, then etcd's errors (status and message as etcd's v3rpc maps them).
        var chosen = grant.ID ^ 0x5A5A;
        Assert.Equal(chosen, (await onO.LeaseGrantAsync(new DnPb.LeaseGrantRequest { ID = chosen, TTL = 30 })).ID);
        await ExpectAsync(StatusCode.FailedPrecondition, "etcdserver: lease already exists", () => onF.LeaseGrantAsync(new DnPb.LeaseGrantRequest { ID = chosen, TTL = 30 }));
        await ExpectAsync(StatusCode.OutOfRange, "etcdserver: too large lease TTL", () => onF.LeaseGrantAsync(new DnPb.LeaseGrantRequest { TTL = 9_000_000_001 }));
        await ExpectAsync(StatusCode.NotFound, "etcdserver: requested lease not found", () => onO.LeaseRevokeAsync(new DnPb.LeaseRevokeRequest { ID = chosen + 1 }));
        await ExpectAsync(StatusCode.NotFound, "etcdserver: requested lease not found",
            () => onL.PutAsync(new DnPb.PutRequest { Key = B(prefix + "k3"), Value = B("v"), Lease = chosen + 1 }));
        Assert.Equal(-1, (await onO.LeaseTimeToLiveAsync(new DnPb.LeaseTimeToLiveRequest { ID = chosen + 1 })).TTL);
        var unknown = new List<DnPb.LeaseKeepAliveResponse>();
        await onF.LeaseKeepAlive(new DnPb.LeaseKeepAliveRequest { ID = chosen + 1 }, r => unknown.Add(r), bound.Token).WaitAsync(bound.Token);
        Assert.True(unknown is [{ TTL: 0 }], string.Join(", ", unknown));

        await onO.LeaseRevokeAsync(new DnPb.LeaseRevokeRequest { ID = grant.ID });
        var revoked = await deletes.WaitForAsync(rs => rs.FirstOrDefault(r => r.Events.Count > 0), "the watcher never saw the revocation");
        Assert.Equal([$"DELETE {prefix}k1", $"DELETE {prefix}k2"], revoked.Events.Select(e => $"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key.ToStringUtf8()}").Order(StringComparer.Ordinal));
        Assert.Single(revoked.Events.Select(e => e.Kv.ModRevision).Distinct());
        Assert.Empty((await onL.GetRangeAsync(prefix)).Kvs);
        Assert.Equal(-1, (await onF.LeaseTimeToLiveAsync(new DnPb.LeaseTimeToLiveRequest { ID = grant.ID })).TTL);
        Assert.DoesNotContain(grant.ID, (await onF.LeaseLeasesAsync()).Leases.Select(l => l.ID));
        await onL.LeaseRevokeAsync(new DnPb.LeaseRevokeRequest { ID = chosen });
    }

    /// <summary>
    /// LeaseKeepAlive(id, token) through the follower keeps a 3 s lease and its key past TTL + 2 s; canceled, the lease
    /// expires by itself (decided by the leader) and the watcher on the follower sees its key deleted.
    /// </summary>
    public static async Task KeepAliveAsync(ClientRoles at)
    {
        using var onF = new EtcdClient(at.Follower);
        using var onL = new EtcdClient(at.Leader);
        using var onO = new EtcdClient(at.Other);
        var prefix = NewPrefix("keepalive");
        const int ttl = 3;

        var deletes = new Responses();
        await onF.WatchAsync(new DnPb.WatchRequest
        {
            CreateRequest = new DnPb.WatchCreateRequest { Key = B(prefix), RangeEnd = B(RangeEnd(prefix)), Filters = { DnPb.WatchCreateRequest.Types.FilterType.Noput } },
        }, (DnPb.WatchResponse r) => deletes.Add(r));
        await deletes.WaitForAsync(rs => rs.FirstOrDefault(r => r.Created), "the watch was never created");

        var sinceGrant = Stopwatch.StartNew();
        var grant = await onO.LeaseGrantAsync(new DnPb.LeaseGrantRequest { TTL = ttl });
        await onL.PutAsync(new DnPb.PutRequest { Key = B(prefix + "kept"), Value = B("v"), Lease = grant.ID });
        using var stop = new CancellationTokenSource();
        var keeping = onF.LeaseKeepAlive(grant.ID, stop.Token);
        // A window that shows something does not happen: the lease outlives its TTL only because it is renewed.
        var window = TimeSpan.FromSeconds(ttl + 2) - sinceGrant.Elapsed;
        if (window > TimeSpan.Zero) await Task.Delay(window);
        Assert.False(keeping.IsCompleted, keeping.Exception?.ToString() ?? "LeaseKeepAlive ended by itself");
        var alive = await onO.LeaseTimeToLiveAsync(new DnPb.LeaseTimeToLiveRequest { ID = grant.ID, Keys = true });
        Assert.True(alive.TTL > 0 && alive.Keys.Count == 1, $"after {sinceGrant.Elapsed}: {alive}");
        Assert.Empty(deletes.All.SelectMany(r => r.Events));

        await stop.CancelAsync();
        try { await keeping; }
        catch (OperationCanceledException) { }
        catch (RpcException e) when (OwnCancel.Caused(e, stop.Token)) { }
        var expired = await deletes.WaitForAsync(rs => rs.FirstOrDefault(r => r.Events.Count > 0), "the abandoned lease never expired", TimeSpan.FromSeconds(60));
        Assert.Equal($"DELETE {prefix}kept", string.Join(",", expired.Events.Select(e => $"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key.ToStringUtf8()}")));
        Assert.Equal(-1, (await onF.LeaseTimeToLiveAsync(new DnPb.LeaseTimeToLiveRequest { ID = grant.ID })).TTL);
    }

    private static async Task ExpectAsync(StatusCode code, string message, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal((code, message), (e.StatusCode, e.Status.Detail));
    }

    private static string Show(DnMvcc.Event e) =>
        $"{e.Type.ToString().ToUpperInvariant()} {e.Kv.Key.ToStringUtf8()}={e.Kv.Value.ToStringUtf8()}@{e.Kv.ModRevision} prev={e.PrevKv?.Value.ToStringUtf8()}";

    /// <summary>What a callback received, awaited without polling: each arrival wakes the waiters.</summary>
    private class Arrivals<T>
    {
        private readonly List<T> _items = [];
        private readonly SemaphoreSlim _arrived = new(0);

        public IReadOnlyList<T> All
        {
            get { lock (_items) return _items.ToList(); }
        }

        public void Add(T item)
        {
            lock (_items) _items.Add(item);
            _arrived.Release();
        }

        /// <summary>Waits until <paramref name="found"/> returns non-null over everything received.</summary>
        public async Task<TR> WaitForAsync<TR>(Func<IReadOnlyList<T>, TR?> found, string failure, TimeSpan? within = null) where TR : class
        {
            var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
            while (true)
            {
                if (found(All) is { } result) return result;
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left)) throw new TimeoutException($"{failure}; received: {string.Join(" | ", All)}");
            }
        }
    }

    private sealed class Responses : Arrivals<DnPb.WatchResponse>;

    private sealed class Events : Arrivals<WatchEvent>;
}
