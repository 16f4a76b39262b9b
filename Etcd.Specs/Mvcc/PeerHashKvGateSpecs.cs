using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Xunit;

namespace Etcd.Specs.Mvcc;

/// <summary>What a peer's HashKV may cost the store (<see cref="PeerHashKvGate"/>), on a clock the spec moves.</summary>
public sealed class PeerHashKvGateSpecs
{
    private TimeSpan _now = TimeSpan.FromHours(1);

    private PeerHashKvGate Gate() => new(() => _now);

    [Fact]
    public void The_last_answer_is_reused_until_the_revision_compaction_or_term_moves()
    {
        var gate = Gate();
        var answer = new PeerHashKVResponse { Response = new HashKVResponse { Hash = 7 } };
        Assert.Null(gate.Cached(5, 9, 2, 3));
        gate.Remember(5, 9, 2, 3, answer);
        Assert.Same(answer, gate.Cached(5, 9, 2, 3));
        Assert.Null(gate.Cached(4, 9, 2, 3));
        Assert.Null(gate.Cached(5, 10, 2, 3));
        Assert.Null(gate.Cached(5, 9, 3, 3));
        Assert.Null(gate.Cached(5, 9, 2, 4));
    }

    [Fact]
    public void A_sender_gets_its_burst_then_one_hash_per_refill_interval()
    {
        var gate = Gate();
        for (var i = 0; i < PeerHashKvGate.SenderBurst; i++) Assert.True(gate.TryAdmit("a"));
        Assert.False(gate.TryAdmit("a"));
        Assert.True(gate.TryAdmit("b")); // another sender has its own bucket
        _now += PeerHashKvGate.SenderRefill - TimeSpan.FromMilliseconds(1);
        Assert.False(gate.TryAdmit("a"));
        _now += TimeSpan.FromMilliseconds(1);
        Assert.True(gate.TryAdmit("a"));
        Assert.False(gate.TryAdmit("a"));
    }

    [Fact]
    public void All_senders_together_get_the_stores_burst_then_one_hash_per_store_refill()
    {
        var gate = Gate();
        var admitted = Enumerable.Range(0, 40).Count(i => gate.TryAdmit($"s{i}"));
        Assert.Equal(PeerHashKvGate.StoreBurst, admitted);
        _now += PeerHashKvGate.StoreRefill;
        Assert.True(gate.TryAdmit("late"));
        Assert.False(gate.TryAdmit("later"));
        // One second of asking by ever new senders, every 10 ms: one hash per store refill interval.
        var start = _now;
        var count = 0;
        for (var i = 0; _now - start <= TimeSpan.FromSeconds(1); i++, _now += TimeSpan.FromMilliseconds(10))
            if (gate.TryAdmit($"flood{i}")) count++;
        Assert.Equal((int)(TimeSpan.FromSeconds(1) / PeerHashKvGate.StoreRefill), count);
    }

    [Fact]
    public void The_sender_table_stays_bounded_however_many_senders_ask_and_idle_ones_are_forgotten_first()
    {
        var gate = Gate();
        for (var i = 0; i < 1000; i++)
        {
            gate.TryAdmit($"s{i}");
            Assert.InRange(gate.SenderCount, 1, PeerHashKvGate.MaxSenders + 1);
            _now += TimeSpan.FromMilliseconds(10);
        }
        // A sender that just had a hash is not idle: it keeps its (emptier) bucket while newcomers come and go.
        _now += PeerHashKvGate.StoreRefill * PeerHashKvGate.StoreBurst;
        for (var i = 0; i < PeerHashKvGate.SenderBurst; i++) Assert.True(gate.TryAdmit("busy"));
        for (var i = 0; i < PeerHashKvGate.MaxSenders * 2; i++) gate.TryAdmit($"n{i}");
        Assert.False(gate.TryAdmit("busy"));
    }
}
