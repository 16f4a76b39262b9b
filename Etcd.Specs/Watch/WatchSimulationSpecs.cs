using Etcd.Actors.Watch.Core;
using Xunit;
using Xunit.Abstractions;
using static Etcd.Specs.Watch.CoreRig;

namespace Etcd.Specs.Watch;

/// <summary>
/// Seeded random runs of <see cref="WatchableCore"/> under a concurrent write load: batches of txns, watchers
/// created at past, present and future revisions on keys, prefixes and from-keys, with filters and prev_kv, streams
/// that fill up and drain, history reads answered late, cancels and compactions. After each run, every watcher
/// must have received exactly the committed history of its range from its start (or a prefix of it and then a
/// compacted cancel, or a prefix of it if its client canceled), in revision order, each revision (txn) in one
/// response, with every response's revision a valid resume point. WATCH_SIM_SEED=&lt;seed&gt; replays one seed.
/// </summary>
public sealed class WatchSimulationSpecs(ITestOutputHelper output)
{
    private static readonly string[] Keys = ["a", "ab", "abc", "b", "ba", "c"];

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        if (int.TryParse(Environment.GetEnvironmentVariable("WATCH_SIM_SEED"), out var one)) data.Add(one);
        else for (var s = 1; s <= 12; s++) data.Add(s * 7919);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_watcher_sees_exactly_its_history_in_order(int seed)
    {
        output.WriteLine($"seed {seed} (WATCH_SIM_SEED={seed} replays it)");
        var rnd = new Random(seed);
        // Small responses too, so that batches and catch-ups are cut between revisions.
        var rig = new CoreRig(perRound: 1 + rnd.Next(4), perRead: 1 + rnd.Next(6), maxResponseBytes: rnd.Next(2) == 0 ? 1 << 20 : 20 + rnd.Next(80));
        var outlets = Enumerable.Range(0, 3).Select(_ => new RecordingOutlet()).ToArray();
        var watchers = new List<(Watcher W, long From, bool ClientCanceled)>();

        for (var step = 0; step < 400; step++)
        {
            var p = rnd.NextDouble();
            if (p < 0.35)
            {
                var revs = new List<(string, string?)[]>();
                for (var r = 1 + rnd.Next(3); r > 0; r--)
                {
                    // Distinct keys within one revision: etcd refuses a txn that changes a key twice.
                    var keys = Keys.OrderBy(_ => rnd.Next()).Take(1 + rnd.Next(3));
                    revs.Add(keys.Select(k => (k, rnd.Next(4) == 0 ? null : "v" + step)).ToArray());
                }
                // The store attaches previous values once it heard a watcher wants them; sometimes the batch was already applied.
                var withPrev = rig.Core.PrevKvWatchers > 0 && rnd.Next(5) > 0;
                rig.Batch(withPrev, revs.ToArray());
            }
            else if (p < 0.5)
            {
                var range = rnd.Next(4) switch
                {
                    0 => Key(Keys[rnd.Next(Keys.Length)]),
                    1 => Prefix(Keys[rnd.Next(Keys.Length)]),
                    2 => FromKey(Keys[rnd.Next(Keys.Length)]),
                    _ => KeyRange.FromRequest(B("ab"), B("b"))!.Value,
                };
                var start = rnd.Next(3) switch { 0 => 0, 1 => 1 + rnd.NextInt64(rig.Revision), _ => rig.Revision + 1 + rnd.Next(3) };
                var filters = (WatchFilters)rnd.Next(4) & (rnd.Next(3) == 0 ? WatchFilters.NoPut | WatchFilters.NoDelete : WatchFilters.None);
                var w = rig.Watch(outlets[rnd.Next(outlets.Length)], range, start, filters, prevKv: rnd.Next(2) == 0, id: watchers.Count);
                watchers.Add((w, start == 0 ? rig.Revision + 1 : start, false));
            }
            else if (p < 0.72) rig.AnswerHistory();
            else if (p < 0.84)
            {
                var o = outlets[rnd.Next(outlets.Length)];
                o.Full = !o.Full;
            }
            else if (p < 0.88 && watchers.Count > 0)
            {
                var i = rnd.Next(watchers.Count);
                if (rig.Core.Cancel(watchers[i].W)) watchers[i] = watchers[i] with { ClientCanceled = true };
            }
            else if (p < 0.90) rig.Compact(Math.Max(1, rig.Revision - rnd.Next(10)));
            else if (p < 0.93) rig.Core.RequestProgress(outlets[rnd.Next(outlets.Length)]);
            rig.Sync(); // the hub tries a round after every message
        }
        foreach (var o in outlets) o.Full = false;
        rig.CatchUp();
        rig.Batch(true, [("a", "last"), ("c", "last")]);

        foreach (var (w, from, clientCanceled) in watchers) Check(rig, w, from, clientCanceled);
        foreach (var o in outlets)
            Assert.All(o.Log.Where(s => s.Kind == "progress" && s.Watcher is null), s => Assert.True(s.Revision <= rig.Revision));
    }

    private static void Check(CoreRig rig, Watcher w, long from, bool clientCanceled)
    {
        var outlet = (RecordingOutlet)w.Outlet;
        var sent = outlet.For(w).ToList();
        var expected = rig.Expected(w, from).Select(Show).ToList();
        var got = new List<string>();
        long lastRev = 0;
        foreach (var s in sent)
        {
            if (s.Kind == "compacted")
            {
                Assert.True(s.CompactRevision > from, $"{w}: compacted at {s.CompactRevision} but it started at {from}");
                Assert.Same(s, sent[^1]);
                continue;
            }
            foreach (var e in s.Events)
            {
                Assert.True(e.Kv.ModRevision >= lastRev, $"{w}: {Show(e)} after revision {lastRev}");
                lastRev = e.Kv.ModRevision;
                got.Add(Show(e));
            }
            // A valid resume point: everything up to the response's revision has arrived, nothing after it.
            var upTo = expected.Count(x => RevOf(x) <= s.Revision);
            Assert.True(got.Count == upTo, $"{w}: response at {s.Revision} leaves {got.Count} events received, {upTo} expected by then");
            // One revision (one txn) in one response.
            if (s.Events.Length > 0)
            {
                var firstRev = s.Events[0].Kv.ModRevision;
                Assert.True(expected.Count(x => RevOf(x) == firstRev) == got.Count(x => RevOf(x) == firstRev), $"{w}: revision {firstRev} split");
            }
        }
        Assert.Equal(expected.Take(got.Count), got);
        var canceledByCompaction = sent.Count > 0 && sent[^1].Kind == "compacted";
        if (!clientCanceled && !canceledByCompaction) Assert.Equal(expected, got);
    }

    private static long RevOf(string shown) => long.Parse(shown.Split('@')[1].Split('=')[0], System.Globalization.CultureInfo.InvariantCulture);
}
