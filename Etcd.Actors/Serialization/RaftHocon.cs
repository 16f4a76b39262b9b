using Etcd.Actors.Configuration;

namespace Etcd.Actors.Serialization;

/// <summary>
/// The HOCON that makes Raft durable and fast, from the embedded serialization.conf and journal.conf (see
/// their comments): protobuf for every generated message, and the Akka.Persistence.Sql journal and snapshot
/// store on SQLite. Code adds only the database file and whether the plugins create their tables.
/// </summary>
public static class RaftHocon
{
    /// <summary>Binds <see cref="ProtobufSerializer"/> (id 9002) to every Google.Protobuf.IMessage (serialization.conf).</summary>
    public static string Serialization { get; } = EtcdConfig.Text("serialization.conf");

    private static readonly string Journal = EtcdConfig.Text("journal.conf");

    /// <summary>
    /// What Akka.Remote lets through the peer port: untrusted mode, selections only to the gateway, and every
    /// serializer a peer can name either needed by members or refusing (no JSON, no system messages, no Kill,
    /// PoisonPill or Status.Failure; peer-port.conf says why).
    /// </summary>
    public static string PeerPort { get; } = EtcdConfig.Text("peer-port.conf");

    /// <summary>
    /// Journal and snapshot store on the SQLite file <paramref name="dbPath"/> (journal.conf). Call
    /// <see cref="SqlitePragmas.EnableWal"/> on the same file before the ActorSystem first uses it. With
    /// <paramref name="autoInitialize"/> false the plugins do not create their tables: call
    /// <see cref="SqlitePragmas.PrepareJournal"/> instead (faster start, same schema).
    /// </summary>
    public static string JournalHocon(string dbPath, bool autoInitialize = true)
    {
        var cs = ConnectionString(dbPath).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var init = autoInitialize ? "on" : "off";
        // HOCON: a later value for the same key wins, so these lines complete and override journal.conf.
        return $"""
            {Journal}
            akka.persistence.journal.sql.connection-string = "{cs}"
            akka.persistence.journal.sql.auto-initialize = {init}
            akka.persistence.snapshot-store.sql.connection-string = "{cs}"
            akka.persistence.snapshot-store.sql.auto-initialize = {init}
            """;
    }

    public static string ConnectionString(string dbPath) => $"Data Source={Path.GetFullPath(dbPath)}";
}
