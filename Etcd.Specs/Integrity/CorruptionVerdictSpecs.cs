using Etcd.Actors.Corruption.Core;
using Etcd.Actors.Errors;
using Xunit;

namespace Etcd.Specs.Integrity;

/// <summary>The decisions of etcd 3.4's CheckInitialHashKV and checkHashKV, with their log lines.</summary>
public sealed class CorruptionVerdictSpecs
{
    private static readonly string[] Urls = ["http://10.0.0.2:2380"];

    private static PeerHashKv Peer(ulong id, uint hash, long rev, long crev) => new(id, Urls, new HashKvSample(hash, rev, crev), null);

    [Fact]
    public void Initial_fails_only_on_a_different_hash_at_the_same_compacted_revision()
    {
        var local = new HashKvSample(100, 10, 4);
        var (w, failure) = CorruptionVerdict.Initial(0xabc, local, [Peer(0x1, 100, 12, 4), Peer(0x2, 999, 10, 4)]);
        Assert.Equal("abc found data inconsistency with peers", failure);
        Assert.Equal(["abc's hash 100 != 2's hash 999 (revision 10, peer revision 10, compact revision 4)"], w);

        (w, failure) = CorruptionVerdict.Initial(0xabc, local, [Peer(0x2, 999, 10, 6)]);
        Assert.Null(failure);
        Assert.Equal(["abc cannot check hash of peer(2): peer has a different compact revision 6 (revision:10)"], w);
    }

    [Fact]
    public void Initial_warns_about_lagging_or_unreachable_peers_and_passes()
    {
        var local = new HashKvSample(100, 10, 4);
        var (w, failure) = CorruptionVerdict.Initial(0xabc, local,
        [
            new PeerHashKv(2, Urls, null, EtcdErrors.FutureRev.Message),
            new PeerHashKv(3, Urls, null, EtcdErrors.Compacted.Message),
            new PeerHashKv(4, Urls, null, "no answer within 2000 ms"),
        ]);
        Assert.Null(failure);
        Assert.Equal(
        [
            "abc cannot check the hash of peer([\"http://10.0.0.2:2380\"]) at revision 10: peer is lagging behind(\"etcdserver: mvcc: required revision is a future revision\")",
            "abc cannot check the hash of peer([\"http://10.0.0.2:2380\"]) at revision 10: local node is lagging behind(\"etcdserver: mvcc: required revision has been compacted\")",
        ], w);
    }

    [Fact]
    public void Periodic_raises_on_a_peer_hash_mismatch_or_a_peer_ahead()
    {
        var h = new HashKvSample(100, 10, 4);
        Assert.False(CorruptionVerdict.Periodic(h, h, [Peer(2, 100, 10, 4), new PeerHashKv(3, Urls, null, "down")]).Corrupt);

        var (w, corrupt, n) = CorruptionVerdict.Periodic(h, h, [Peer(2, 101, 10, 4)]);
        Assert.True(corrupt);
        Assert.Equal(1, n);
        Assert.Equal(["hash 101 at revision 10 from member 2, expected hash 100"], w);

        Assert.True(CorruptionVerdict.Periodic(h, h, [Peer(2, 100, 11, 4)]).Corrupt);  // peer applied past the leader
        Assert.True(CorruptionVerdict.Periodic(h, h, [Peer(2, 100, 10, 5)]).Corrupt);  // peer compacted past the leader
        // A peer at another compacted revision is not compared by hash.
        Assert.False(CorruptionVerdict.Periodic(h, h, [Peer(2, 555, 10, 3)]).Corrupt);
    }

    [Fact]
    public void Periodic_raises_when_the_leaders_own_hash_changed_at_the_same_revision()
    {
        var (w, corrupt, _) = CorruptionVerdict.Periodic(new HashKvSample(100, 10, 4), new HashKvSample(200, 10, 4), []);
        Assert.True(corrupt);
        Assert.Equal(["mismatched hashes 100 and 200 for revision 10"], w);
        Assert.False(CorruptionVerdict.Periodic(new HashKvSample(100, 10, 4), new HashKvSample(200, 11, 4), []).Corrupt);
    }
}
