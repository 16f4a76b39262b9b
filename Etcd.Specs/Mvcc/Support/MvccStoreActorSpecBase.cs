using Akka.Actor;
using Akka.TestKit.Xunit2;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Etcd.Actors.Wait;
using Etcd.Specs.Support;

namespace Etcd.Specs.Mvcc;

/// <summary>
/// What an MvccStoreActor spec starts from: an ActorSystem (TestKit), a data directory of its own removed after
/// the spec, the member's settings over it, the waiters the store completes, and the store actor itself (member
/// 0xAA of cluster 0xCC).
/// </summary>
public abstract class MvccStoreActorSpecBase : TestKit
{
    /// <summary>How long a spec waits for the store's answer: generous, for a busy 2-core machine.</summary>
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    protected MvccStoreActorSpecBase(string dirPrefix) => Dir = new TempDir(dirPrefix);

    protected TempDir Dir { get; }

    protected WaitRegistry Waits { get; } = new(1000);

    /// <summary>The member's settings over the spec's data directory, or over its sub-directory <paramref name="store"/> (specs with several stores).</summary>
    protected EtcdServerSettings MemberSettings(string? store = null) =>
        EtcdServerSettings.Default with { DataDir = store is null ? Dir.Path : Dir.Sub(store) };

    protected Props StoreProps(string? store = null) => MvccStoreActor.Props(MemberSettings(store).MvccWithPaths, 0xAA, 0xCC, Waits);

    protected IActorRef StartStore(string? store = null) => Sys.ActorOf(StoreProps(store));

    protected override void AfterAll()
    {
        base.AfterAll();
        Dir.Dispose();
    }
}
