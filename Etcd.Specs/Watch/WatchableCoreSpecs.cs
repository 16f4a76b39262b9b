using Etcd.Actors.Watch.Core;
using Etcd.Api.Mvccpb;
using Xunit;
using static Etcd.Specs.Watch.CoreRig;

namespace Etcd.Specs.Watch;

/// <summary>
/// <see cref="WatchableCore"/> without actors: delivery to synced watchers, catching up from history in bounded
/// rounds while writes go on, the move from unsynced to synced, victims, compaction, filters, prev_kv and progress.
/// </summary>
public sealed class WatchableCoreSpecs
{
    [Fact]
    public void A_synced_watcher_gets_each_batch_of_its_key_in_one_response_at_the_batch_revision()
    {
        var rig = new CoreRig();
        var o = new RecordingOutlet();
        var w = rig.Watch(o, Key("a"));
        rig.Put("a", "1");                                  // 2
        rig.Put("b", "x");                                  // 3: not its key
        rig.Batch(true, [("a", "2"), ("b", "y")], [("a", null)]); // 4 (txn), 5
        var sent = o.For(w).ToList();
        Assert.Equal(2, sent.Count);
        Assert.Equal(["PUT a@2=1"], sent[0].Events.Select(Show));
        Assert.Equal(2, sent[0].Revision);
        Assert.Equal(["PUT a@4=2", "DELETE a@5="], sent[1].Events.Select(Show));
        Assert.Equal(5, sent[1].Revision);
        Assert.Equal(6, w.MinRev);
    }

    public static TheoryData<string, string, string[]> Ranges() => new()
    {
        // kind, argument, the keys of {a, ab, abc, b, ba, c} it sees
        { "key", "ab", ["ab"] },
        { "prefix", "ab", ["ab", "abc"] },
        { "prefix", "a", ["a", "ab", "abc"] },
        { "from", "b", ["b", "ba", "c"] },
        { "from", "\0", ["a", "ab", "abc", "b", "ba", "c"] },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Watchers_see_the_keys_of_their_range(string kind, string arg, string[] keys)
    {
        var rig = new CoreRig();
        var o = new RecordingOutlet();
        var range = kind switch { "key" => Key(arg), "prefix" => Prefix(arg), _ => FromKey(arg) };
        var w = rig.Watch(o, range);
        foreach (var k in new[] { "a", "ab", "abc", "b", "ba", "c" }) rig.Put(k, "v");
        Assert.Equal(keys, o.For(w).SelectMany(s => s.Events).Select(e => e.Kv.Key.ToStringUtf8()));
    }

    [Fact]
    public void A_create_request_is_normalised_as_etcd_does()
    {
        Assert.Equal(new KeyRange(B("\0"), null), KeyRange.FromRequest(B(""), B("")));
        Assert.Equal(new KeyRange(B("a"), Google.Protobuf.ByteString.Empty), KeyRange.FromRequest(B("a"), B("\0")));
        Assert.Null(KeyRange.FromRequest(B("b"), B("a")));  // "mvcc: watcher range is empty"
        Assert.Null(KeyRange.FromRequest(B("a"), B("a")));
    }

    [Fact]
    public void Filters_drop_puts_or_deletes_and_an_emptied_batch_sends_nothing()
    {
        var rig = new CoreRig();
        var o = new RecordingOutlet();
        var noPut = rig.Watch(o, Key("a"), filters: WatchFilters.NoPut);
        var noDelete = rig.Watch(o, Key("a"), filters: WatchFilters.NoDelete);
        rig.Put("a", "1");
        rig.Delete("a");
        Assert.Equal(["DELETE a@3="], o.For(noPut).SelectMany(s => s.Events).Select(Show));
        Assert.Equal(["PUT a@2=1"], o.For(noDelete).SelectMany(s => s.Events).Select(Show));
        Assert.Single(o.For(noPut));
    }

    [Fact]
    public void A_past_start_catches_up_in_bounded_reads_while_writes_go_on_then_is_synced()
    {
        var rig = new CoreRig(perRead: 3);
        for (var i = 0; i < 10; i++) rig.Put("k", i.ToString(System.Globalization.CultureInfo.InvariantCulture)); // revisions 2..11
        var o = new RecordingOutlet();
        var w = rig.Watch(o, Key("k"), start: 2);
        Assert.Equal(WatcherState.Unsynced, w.State);
        var rounds = 0;
        while (w.State != WatcherState.Synced)
        {
            var r = rig.Sync();
            Assert.NotNull(r);
            Assert.Equal(3, r.MaxEvents);
            rig.Put("k", "live" + rounds); // a write lands while the read is in flight
            rig.AnswerHistory();
            Assert.True(++rounds < 50, "catches up");
        }
        rig.Put("k", "after");
        var got = o.For(w).SelectMany(s => s.Events).Select(Show).ToList();
        Assert.Equal(rig.Expected(w, 2).Select(Show), got);
        Assert.True(o.For(w).Count() > 4, $"several bounded responses, got {o.For(w).Count()}");
    }

    [Fact]
    public void A_txn_is_never_split_across_responses_even_when_it_is_bigger_than_a_read()
    {
        var rig = new CoreRig(perRead: 2);
        rig.Batch(true, [("a1", "x"), ("a2", "x"), ("a3", "x"), ("a4", "x")], [("a1", "y")]);
        var o = new RecordingOutlet();
        var w = rig.Watch(o, Prefix("a"), start: 1);
        rig.CatchUp();
        var sent = o.For(w).ToList();
        Assert.Equal(4, sent[0].Events.Length);
        Assert.Equal(2, sent[0].Revision);
        Assert.Equal(["PUT a1@3=y"], sent[1].Events.Select(Show));
    }

    [Fact]
    public void A_start_below_the_compacted_revision_is_canceled_with_it_and_one_at_it_is_served()
    {
        var rig = new CoreRig();
        for (var i = 0; i < 5; i++) rig.Put("k", "v" + i); // 2..6
        rig.Compact(4);
        var o = new RecordingOutlet();
        var below = rig.Watch(o, Key("k"), start: 3, id: 1);
        var at = rig.Watch(o, Key("k"), start: 4, id: 2);
        rig.CatchUp();
        var c = Assert.Single(o.For(below));
        Assert.Equal("compacted", c.Kind);
        Assert.Equal(4, c.CompactRevision);
        Assert.Equal(WatcherState.Removed, below.State);
        Assert.Equal(["PUT k@4=v2", "PUT k@5=v3", "PUT k@6=v4"], o.For(at).SelectMany(s => s.Events).Select(Show));
        Assert.Equal(WatcherState.Synced, at.State);
    }

    [Fact]
    public void A_full_stream_makes_a_victim_that_holds_nothing_and_catches_up_without_gap_or_duplicate()
    {
        var rig = new CoreRig();
        var slow = new RecordingOutlet();
        var fast = new RecordingOutlet();
        var v = rig.Watch(slow, Prefix("k"));
        var f = rig.Watch(fast, Prefix("k"));
        rig.Put("k1", "a");
        slow.Full = true;
        rig.Put("k2", "b"); // refused: v becomes a victim
        Assert.True(v.Victim);
        Assert.Equal(WatcherState.Unsynced, v.State);
        Assert.True(v.Gathered is null or { Count: 0 });
        for (var i = 0; i < 5; i++) rig.Put("k3", "c" + i); // writes and the other stream go on
        Assert.Null(rig.Sync()); // no room yet: no read for it
        Assert.Equal(7, fast.For(f).SelectMany(s => s.Events).Count());
        slow.Full = false;
        rig.CatchUp();
        rig.Put("k4", "d");
        Assert.Equal(rig.Expected(v, 2).Select(Show), slow.For(v).SelectMany(s => s.Events).Select(Show));
        Assert.Equal(WatcherState.Synced, v.State);
    }

    [Fact]
    public void A_prev_kv_watcher_meeting_a_batch_without_previous_values_reads_it_again_from_history()
    {
        var rig = new CoreRig();
        rig.Put("a", "1");
        var o = new RecordingOutlet();
        var w = rig.Watch(o, Key("a"), prevKv: true);
        Assert.Equal(1, rig.Core.PrevKvWatchers);
        rig.Batch(false, [("a", "2")]); // applied before the store heard that a watcher wants prev_kv
        Assert.Equal(WatcherState.Unsynced, w.State);
        Assert.Empty(o.For(w));
        rig.CatchUp();
        rig.Put("a", "3");
        Assert.Equal(["PUT a@3=2 prev=1@2", "PUT a@4=3 prev=2@3"], o.For(w).SelectMany(s => s.Events).Select(Show));
    }

    [Fact]
    public void Previous_values_go_only_to_watchers_that_asked()
    {
        var rig = new CoreRig();
        rig.Put("a", "1");
        var o = new RecordingOutlet();
        var with = rig.Watch(o, Key("a"), prevKv: true);
        var without = rig.Watch(o, Key("a"));
        rig.Put("a", "2");
        Assert.NotNull(Assert.Single(o.For(with)).Events[0].PrevKv);
        Assert.Null(Assert.Single(o.For(without)).Events[0].PrevKv);
    }

    [Fact]
    public void RequestProgress_waits_until_every_watcher_of_the_stream_is_synced()
    {
        var rig = new CoreRig();
        rig.Put("a", "1"); // 2
        var o = new RecordingOutlet();
        rig.Watch(o, Key("b"));
        var behind = rig.Watch(o, Key("a"), start: 2);
        rig.Core.RequestProgress(o);
        Assert.DoesNotContain(o.Log, s => s.Kind == "progress");
        rig.CatchUp();
        var events = o.For(behind).Single(s => s.Kind == "events");
        var progress = Assert.Single(o.Log, s => s.Kind == "progress");
        Assert.Null(progress.Watcher);
        Assert.Equal(2, progress.Revision);
        Assert.True(o.Log.IndexOf(events) < o.Log.IndexOf(progress), "the progress answer comes after the events it vouches for");
    }

    [Fact]
    public void A_progress_tick_reaches_only_idle_synced_watchers_that_asked()
    {
        var rig = new CoreRig();
        var o = new RecordingOutlet();
        var idle = rig.Watch(o, Key("a"), progress: true);
        var busy = rig.Watch(o, Key("b"), progress: true);
        var quiet = rig.Watch(o, Key("c"));
        rig.Put("b", "1");
        rig.Core.ProgressTick();
        Assert.Equal(2, Assert.Single(o.For(idle)).Revision);
        Assert.DoesNotContain(o.For(busy), s => s.Kind == "progress");
        Assert.Empty(o.For(quiet));
        rig.Core.ProgressTick();
        Assert.Contains(o.For(busy), s => s.Kind == "progress");
    }

    [Fact]
    public void A_canceled_watcher_is_gone_from_every_place_and_gets_nothing_more()
    {
        var rig = new CoreRig();
        var o = new RecordingOutlet();
        rig.Put("a", "1");
        var synced = rig.Watch(o, Key("a"));
        var reading = rig.Watch(o, Key("a"), start: 1);
        Assert.NotNull(rig.Sync());
        Assert.True(rig.Core.Cancel(synced));
        Assert.True(rig.Core.Cancel(reading));
        Assert.False(rig.Core.Cancel(reading));
        rig.AnswerHistory();
        rig.Put("a", "2");
        Assert.Empty(o.Log);
        Assert.Equal(0, rig.Core.SyncedCount + rig.Core.UnsyncedCount);
    }

    [Fact]
    public void A_batch_that_does_not_follow_the_last_one_sends_synced_watchers_back_to_history()
    {
        var rig = new CoreRig();
        var o = new RecordingOutlet();
        var w = rig.Watch(o, Key("a"));
        rig.Revise(("a", "lost")); // 2: committed, but its batch never reached the hub
        var from = rig.Revision;
        var evs = rig.Revise(("a", "next"));
        rig.Core.Notify(evs, from, rig.Revision, true);
        rig.CatchUp();
        Assert.Equal(["PUT a@2=lost", "PUT a@3=next"], o.For(w).SelectMany(s => s.Events).Select(e => Show(Strip(e))));
    }

    [Fact]
    public void A_large_batch_is_cut_between_revisions_each_part_at_the_revision_it_is_complete_to()
    {
        var rig = new CoreRig(maxResponseBytes: 100);
        var o = new RecordingOutlet();
        var w = rig.Watch(o, Prefix("k"));
        var big = new string('x', 60);
        // 2: two events (one txn, too big for one response but never split), 3: other key, 4: one event.
        rig.Batch(true, [("k1", big), ("k2", big)], [("z", "1")], [("k3", big)]);
        var sent = o.For(w).ToList();
        Assert.Equal(2, sent.Count);
        Assert.Equal(2, sent[0].Events.Length);
        Assert.Equal(3, sent[0].Revision); // complete up to 3: revision 3 held nothing for it
        Assert.Equal(["PUT k3@4=" + big], sent[1].Events.Select(Show));
        Assert.Equal(4, sent[1].Revision);
        Assert.Equal(5, w.MinRev);
    }

    [Fact]
    public void A_core_ignores_a_cancel_of_a_watcher_it_never_held()
    {
        // A restarted hub has a new core; the streams of the old one still close their watchers through it.
        var old = new CoreRig();
        var o = new RecordingOutlet();
        var w = old.Watch(o, Key("a"));
        var fresh = new CoreRig();
        Assert.False(fresh.Core.Cancel(w));
        Assert.Equal(WatcherState.Synced, w.State);
    }
}
