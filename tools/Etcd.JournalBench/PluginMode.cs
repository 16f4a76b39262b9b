using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Config;
using Etcd.Actors.Serialization;

namespace Etcd.JournalBench;

/// <summary>
/// <c>plugin</c>: an ActorSystem whose journal is set up as EtcdNode.StartAsync sets up a member's: the tables from
/// <see cref="SqlitePragmas.PrepareJournal"/> (the runner's temp database), <see cref="RaftHocon.JournalHocon"/> with
/// auto-initialize off, <see cref="RaftHocon.Serialization"/> (protobuf events) and the plugin's linq2db options from
/// <see cref="SqlitePragmas.JournalDataOptions"/> (JournalSqliteProvider, the synchronous=FULL interceptor). A
/// <see cref="JournalWriterActor"/> persists each write; the caller Asks and awaits the reply, one write in flight.
/// </summary>
internal sealed class PluginMode : IWriteMode
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(30);

    private readonly JournalRow _row;
    private readonly ActorSystem _system;
    private readonly IActorRef _writer;
    private readonly JournalConnectionInterceptor _connections = new();

    public PluginMode(string dbPath, JournalRow row)
    {
        _row = row;
        // Only the journal's and the serializer's HOCON of member.conf matter here; no remoting, quiet logs.
        var config = ConfigurationFactory.ParseString($"""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            {RaftHocon.Serialization}
            {RaftHocon.JournalHocon(dbPath, autoInitialize: false)}
            """);
        var setup = BootstrapSetup.Create().WithConfig(config)
            .And(new DataOptionsSetup(SqlitePragmas.JournalDataOptions(dbPath, _connections)));
        _system = ActorSystem.Create("journal-bench", setup);
        Persistence.Instance.Apply(_system).JournalFor(null);
        _writer = _system.ActorOf(Props.Create(() => new JournalWriterActor()), "writer");
    }

    /// <summary>Connections the plugin opened through the interceptor, and native ones it configured (a check).</summary>
    public string ConnectionSummary => $"connections opened {_connections.Opened}, native connections configured {_connections.Configured}";

    public async Task WriteAsync(long sequenceNr)
    {
        var persisted = await _writer.Ask<long>(_row.Event(sequenceNr), WriteTimeout).ConfigureAwait(false);
        if (persisted != sequenceNr) throw new InvalidOperationException($"write {sequenceNr} came back as sequence number {persisted}");
    }

    public async ValueTask DisposeAsync() => await _system.Terminate().ConfigureAwait(false);
}
