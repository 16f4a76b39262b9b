using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Etcd.Actors.Server;

namespace Etcd.Specs.Support;

/// <summary>
/// Akka.Persistence.TestKit's in-memory journal in place of the member's SQLite journal, so that a spec can make its
/// writes or recoveries fail (<see cref="ITestJournal"/>).
/// </summary>
public static class TestJournals
{
    public const string PluginId = "akka.persistence.journal.test";

    /// <summary>HOCON to lay over a member's config (EtcdServerSettings.ExtraHocon) to journal into the test journal.</summary>
    public const string Hocon = $$"""
        akka.persistence.journal {
          plugin = "{{PluginId}}"
          test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        """;

    /// <summary>
    /// A whole single member (Kestrel off, warn logs) journaling into the test journal, its data under
    /// <paramref name="dir"/>: what a spec of the member's reaction to journal faults starts from.
    /// </summary>
    public static Task<EtcdNode> StartSingleMemberAsync(TempDir dir) =>
        SingleMember.StartAsync(SingleMember.Settings(dir) with { ExtraHocon = Hocon });

    /// <summary>The test journal of <paramref name="system"/>, to inject faults into.</summary>
    public static ITestJournal Of(ActorSystem system) => TestJournal.FromRef(Persistence.Instance.Apply(system).JournalFor(PluginId));
}
