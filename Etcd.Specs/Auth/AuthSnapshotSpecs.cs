using Akka.Actor;
using Etcd.Actors.Auth;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Specs.Mvcc;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// A member that catches up by a backend snapshot never applied the entries the snapshot stands for, so their token
/// changes (a user deleted or re-added, a password changed, auth disabled) never reached its tokens: the install
/// drops every token (MvccStoreActor.Snapshot.cs), and clients log in again on "invalid auth token".
/// </summary>
public sealed class AuthSnapshotSpecs() : MvccStoreActorSpecBase("auth-snapshot")
{
    [Fact]
    public void A_snapshot_install_ends_every_session_on_the_member()
    {
        var a = StartStore("a");
        a.Tell(new MvccProtocol.ApplyCommitted(Enumerable.Range(1, 20).Select(i => MvccEntries.Put((ulong)i, $"k{i}", "v")).ToList(), 2), TestActor);
        ExpectMsg<MvccProtocol.Applied>(m => m.Index == 20, Wait);
        var path = Dir.Sub("transfer/snap.db");
        a.Tell(new MvccProtocol.CreateSnapshot(path), TestActor);
        ExpectMsg<MvccProtocol.SnapshotCreated>(Wait);

        var gate = new AuthGate(TimeSpan.FromMinutes(5), () => throw new InvalidOperationException("no hashing here"));
        var b = Sys.ActorOf(MvccStoreActor.Props(MemberSettings("b").MvccWithPaths, 0xAA, 0xCC, Waits, authGate: gate));
        b.Tell(new MvccProtocol.ApplyCommitted([MvccEntries.Put(1, "x", "y")], 2), TestActor);
        ExpectMsg<MvccProtocol.Applied>(m => m.Index == 1, Wait);
        var token = gate.AssignToken("alice", "abcdefghijklmnop", 1);
        Assert.Null(gate.Resolve(token, out var user));
        Assert.Equal("alice", user);

        b.Tell(new MvccProtocol.InstallSnapshot(path), TestActor);
        ExpectMsg<MvccProtocol.SnapshotInstalled>(Wait);
        Assert.Same(EtcdErrors.InvalidAuthToken, gate.Resolve(token, out _));
        Assert.Equal(0, gate.TokenCount);
    }
}
