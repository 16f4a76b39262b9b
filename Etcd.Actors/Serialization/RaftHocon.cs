namespace Etcd.Actors.Serialization;

/// <summary>
/// The HOCON that makes Raft durable and fast: protobuf for every generated message (never the default
/// Newtonsoft JSON, which is slow and breaks on renames), and the Akka.Persistence.Sql journal and
/// snapshot store on SQLite (reference/akka-notes.md §1).
/// </summary>
public static class RaftHocon
{
    /// <summary>Binds <see cref="ProtobufSerializer"/> (id 9002) to every Google.Protobuf.IMessage.</summary>
    public const string Serialization = """
        akka.actor {
          serializers {
            etcd-protobuf = "Etcd.Actors.Serialization.ProtobufSerializer, Etcd.Actors"
          }
          serialization-bindings {
            "Google.Protobuf.IMessage, Google.Protobuf" = etcd-protobuf
          }
          serialization-identifiers {
            "Etcd.Actors.Serialization.ProtobufSerializer, Etcd.Actors" = 9002
          }
        }
        """;

    /// <summary>
    /// What Akka.Remote lets through the peer port (docs/design.md, "Transport"). Untrusted mode drops remote
    /// deployment, system messages (remote DeathWatch, which peers never use) and PoisonPill/Kill from the
    /// network, and actor selections except to the gateway, where a joining member sends PeerClusterQuery
    /// (Server/ClusterJoin.cs). Akka's JSON serializer is replaced by one that refuses (<see cref="NoJsonSerializer"/>),
    /// so only protobuf messages are ever constructed from the network, and Akka.Remote's own small messages by
    /// one that refuses Kill, which untrusted mode lets through (<see cref="PeerMiscMessageSerializer"/>).
    /// </summary>
    public const string PeerPort = """
        akka.remote {
          untrusted-mode = on
          trusted-selection-paths = ["/user/etcd/peer"]
        }
        akka.actor {
          serializers.json = "Etcd.Actors.Serialization.NoJsonSerializer, Etcd.Actors"
          serializers.akka-misc = "Etcd.Actors.Serialization.PeerMiscMessageSerializer, Etcd.Actors"
          serialization-identifiers {
            "Etcd.Actors.Serialization.NoJsonSerializer, Etcd.Actors" = 1
            "Etcd.Actors.Serialization.PeerMiscMessageSerializer, Etcd.Actors" = 16
          }
        }
        """;

    /// <summary>
    /// Journal and snapshot store on the SQLite file <paramref name="dbPath"/> (provider SQLite.MS). Call
    /// <see cref="SqlitePragmas.EnableWal"/> on the same file before the ActorSystem first uses it. With
    /// <paramref name="autoInitialize"/> false the plugins do not create their tables: call
    /// <see cref="SqlitePragmas.PrepareJournal"/> instead (faster start, same schema).
    /// </summary>
    public static string JournalHocon(string dbPath, bool autoInitialize = true)
    {
        var init = autoInitialize ? "on" : "off";
        var cs = ConnectionString(dbPath).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                  connection-string = "{{cs}}"
                  provider-name = "SQLite.MS"
                  auto-initialize = {{init}}
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                  connection-string = "{{cs}}"
                  provider-name = "SQLite.MS"
                  auto-initialize = {{init}}
                }
              }
            }
            """;
    }

    public static string ConnectionString(string dbPath) => $"Data Source={Path.GetFullPath(dbPath)}";
}
