using Etcd.Api.Etcdserverpb;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Support;
using Grpc.Net.Client;
using Xunit;

namespace Etcd.Specs.Process;

/// <summary>What the fault spec checks once the faults are over and every watcher has the last revision.</summary>
public sealed partial class WatchLeaseFaultSpecs
{
    private static string Show(Event e) => $"{(e.Type == Event.Types.EventType.Put ? "PUT" : "DELETE")} {e.Kv.Key.ToStringUtf8()}@{e.Kv.ModRevision}={e.Kv.Value.ToStringUtf8()}";

    /// <summary>
    /// Every watcher's events are the committed history of the prefix from <paramref name="start"/> to
    /// <paramref name="last"/>: in this spec every revision is one write of one key under the prefix (puts, CASes of
    /// one put, the abandoned lease's revocation of its one key), so the history is exactly one event per revision,
    /// no gap, no duplicate, in order. Each event is a write a client sent (values are unique), every acknowledged
    /// write is there at its acknowledged revision, no CAS that answered "not swapped" is, all watchers agree, and
    /// replaying the events gives exactly the store's final contents.
    /// </summary>
    private void CheckWatchers(IReadOnlyList<ResumingWatcher> watchers, long start, long last, RangeResponse final)
    {
        var writes = _writes.ToDictionary(w => w.Value);
        List<string>? reference = null;
        foreach (var (w, i) in watchers.Select((w, i) => (w, i)))
        {
            Assert.Empty(w.Violations);
            var events = w.Events;
            for (var n = 0; n < events.Count; n++)
            {
                var expected = start + n;
                Assert.True(events[n].Kv.ModRevision == expected,
                    $"watcher on infra{i}: event #{n} is at revision {events[n].Kv.ModRevision}, expected {expected} (a gap, a duplicate or a reordering): " +
                    string.Join(", ", events.Skip(Math.Max(0, n - 3)).Take(6).Select(Show)));
            }
            Assert.True(events.Count == last - start + 1, $"watcher on infra{i}: {events.Count} events from revision {start}, expected {last - start + 1} (up to {last})");

            var seen = new HashSet<string>();
            foreach (var e in events)
            {
                var key = e.Kv.Key.ToStringUtf8();
                var value = e.Kv.Value.ToStringUtf8();
                if (key.StartsWith("wl/lin/", StringComparison.Ordinal))
                {
                    Assert.True(e.Type == Event.Types.EventType.Put, $"watcher on infra{i}: no client deleted {key}, yet {Show(e)}");
                    Assert.True(writes.TryGetValue(value, out var write) && write.Key == key, $"watcher on infra{i}: {Show(e)} is no write a client sent");
                    Assert.False(write!.Failed, $"watcher on infra{i}: {Show(e)} is a CAS that answered \"not swapped\"");
                    Assert.True(write.Revision is null || write.Revision == e.Kv.ModRevision, $"watcher on infra{i}: {Show(e)} was acknowledged at revision {write.Revision}");
                    Assert.True(seen.Add(value), $"watcher on infra{i}: {Show(e)} twice");
                }
            }
            Assert.Single(events, e => e.Kv.Key.ToStringUtf8() == KeptKey);
            Assert.Equal(2, events.Count(e => e.Kv.Key.ToStringUtf8() == AbandonedKey)); // its put, and ONE delete
            Assert.Single(events, e => e.Kv.Key.ToStringUtf8() == AbandonedKey && e.Type == Event.Types.EventType.Delete);
            Assert.Equal($"PUT {EndKey}@{last}=end", Show(events[^1]));

            var shown = events.Select(Show).ToList();
            if (reference is null) reference = shown;
            else Assert.Equal(reference, shown);
        }

        // Every acknowledged write is in the history at the revision it was acknowledged at.
        var history = reference!;
        foreach (var write in _writes.Where(w => w.Revision is not null))
            Assert.Equal($"PUT {write.Key}@{write.Revision}={write.Value}", history[(int)(write.Revision!.Value - start)]);

        // Replaying the history gives the store's contents at its end (a linearizable read at `last`).
        Assert.Equal(last, final.Header.Revision);
        var state = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in watchers[0].Events)
        {
            if (e.Type == Event.Types.EventType.Put) state[e.Kv.Key.ToStringUtf8()] = $"{e.Kv.Value.ToStringUtf8()}@{e.Kv.ModRevision}";
            else state.Remove(e.Kv.Key.ToStringUtf8());
        }
        var stored = final.Kvs.Where(kv => kv.ModRevision >= start).ToDictionary(kv => kv.Key.ToStringUtf8(), kv => $"{kv.Value.ToStringUtf8()}@{kv.ModRevision}");
        Assert.Equal(state, new SortedDictionary<string, string>(stored, StringComparer.Ordinal));
        output.WriteLine($"{watchers.Count} watchers agree on {history.Count} events ({start}..{last}); " +
                         $"{_writes.Count(w => w.Revision is not null)} acknowledged writes, {_writes.Count(w => w.Revision is null && !w.Failed)} ambiguous");
    }

    /// <summary>The kept-alive lease lives with its key; the abandoned one is gone with its key.</summary>
    private async Task CheckLeasesAsync(ProcessCluster cluster, LeaseKeeper keeper, long kept, long abandoned, RangeResponse final)
    {
        Assert.True(keeper.LostAt is null, $"the kept-alive lease {kept:x} expired: {keeper.LostAt}");
        // The keeper itself kept going (else the lease living on would prove little).
        Assert.True(keeper.SinceLastRenewal < TimeSpan.FromSeconds(10), $"the keeper's last renewal was {keeper.SinceLastRenewal} ago ({keeper.Renewals} renewals, {keeper.Failovers} failovers)");
        var keptKv = final.Kvs.SingleOrDefault(kv => kv.Key.ToStringUtf8() == KeptKey);
        Assert.True(keptKv is not null && keptKv.Lease == kept, $"{KeptKey} is gone or lost its lease");
        Assert.DoesNotContain(final.Kvs, kv => kv.Key.ToStringUtf8() == AbandonedKey);
        foreach (var m in Enumerable.Range(0, cluster.Members.Count))
        {
            using var channel = GrpcChannel.ForAddress(cluster[m].Endpoint);
            var client = new Etcd.Api.Etcdserverpb.Lease.LeaseClient(channel);
            var k = await client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = kept, Keys = true }, deadline: Deadline());
            Assert.True(k.TTL > 0, $"infra{m}: the kept-alive lease has TTL {k.TTL}");
            Assert.Equal([KeptKey], k.Keys.Select(b => b.ToStringUtf8()));
            var a = await client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = abandoned }, deadline: Deadline());
            Assert.True(a.TTL == -1, $"infra{m}: the abandoned lease has TTL {a.TTL}, not -1 (expired)");
        }
        output.WriteLine($"kept lease: TTL > 0 on every member after {keeper.Renewals} renewals and {keeper.Failovers} failovers " +
                         $"(longest gap {keeper.LongestGap.TotalSeconds:F1} s); abandoned lease expired once");
    }
}
