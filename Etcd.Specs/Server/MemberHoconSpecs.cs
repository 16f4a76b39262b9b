using Akka.Configuration;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Etcd.Actors.Serialization;
using Etcd.Actors.Server;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// The member's Akka configuration comes from the embedded member.conf, serialization.conf and journal.conf;
/// code lays over them only what flags decide (log level, peer endpoint, frame size, journal file).
/// </summary>
public sealed class MemberHoconSpecs
{
    private static readonly EtcdServerSettings Member = EtcdServerSettings.Default with
    {
        DataDir = Path.Combine(Path.GetTempPath(), "hocon-spec"),
        ListenPeerUrls = ["http://0.0.0.0:12380"],
        AdvertisePeerUrls = ["http://m1.example:22380"],
        MaxRequestBytes = 10 * 1024 * 1024,
        LogLevel = "warn",
    };

    [Fact]
    public void The_embedded_files_give_the_member_its_transport_serialization_and_journal()
    {
        var c = EtcdNode.BuildConfig(EtcdServerSettings.Default);
        Assert.Equal("remote", c.GetString("akka.actor.provider"));
        Assert.Equal(TimeSpan.FromSeconds(1), c.GetTimeSpan("akka.remote.retry-gate-closed-for"));
        Assert.Equal(TimeSpan.FromSeconds(2), c.GetTimeSpan("akka.remote.dot-netty.tcp.connection-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(2), c.GetTimeSpan("akka.remote.etcd-peer.connection-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(2), c.GetTimeSpan("akka.remote.handshake-timeout"));
        Assert.False(c.GetBoolean("akka.coordinated-shutdown.exit-clr"));
        Assert.Equal("etcd-protobuf", c.GetString("akka.actor.serialization-bindings.\"Google.Protobuf.IMessage, Google.Protobuf\""));
        Assert.Equal(9002, c.GetInt("akka.actor.serialization-identifiers.\"Etcd.Actors.Serialization.ProtobufSerializer, Etcd.Actors\""));
        Assert.Equal("akka.persistence.journal.sql", c.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("SQLite.MS", c.GetString("akka.persistence.journal.sql.provider-name"));
        Assert.Equal("SQLite.MS", c.GetString("akka.persistence.snapshot-store.sql.provider-name"));
    }

    [Fact]
    public void Flags_decide_the_endpoint_frame_size_log_level_and_journal_file()
    {
        var c = EtcdNode.BuildConfig(Member);
        // Our transport is the one enabled; DotNetty's section gets the same endpoint, for a switch back by config alone.
        Assert.Equal(["akka.remote.etcd-peer"], c.GetStringList("akka.remote.enabled-transports"));
        foreach (var tcp in new[] { c.GetConfig("akka.remote.etcd-peer"), c.GetConfig("akka.remote.dot-netty.tcp") })
        {
            Assert.Equal("0.0.0.0", tcp.GetString("hostname"));
            Assert.Equal(12380, tcp.GetInt("port"));
            Assert.Equal("m1.example", tcp.GetString("public-hostname"));
            Assert.Equal(22380, tcp.GetInt("public-port"));
            Assert.Equal(11L * 1024 * 1024, tcp.GetByteSize("maximum-frame-size")); // --max-request-bytes + 1 MiB
            Assert.False(tcp.GetBoolean("enable-ssl"));
        }
        Assert.Equal("Etcd.Actors.Peer.Transport.PeerTcpTransport, Etcd.Actors", c.GetString("akka.remote.etcd-peer.transport-class"));
        Assert.Equal("WARNING", c.GetString("akka.loglevel"));
        var journal = RaftHocon.ConnectionString(Member.JournalPath);
        Assert.Equal(journal, c.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal(journal, c.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        Assert.False(c.GetBoolean("akka.persistence.journal.sql.auto-initialize")); // PrepareJournal made the tables
    }

    [Fact]
    public void A_config_files_akka_section_wins_over_everything()
    {
        var c = EtcdNode.BuildConfig(Member with { ExtraHocon = "akka.remote.retry-gate-closed-for = 3s\nakka.loglevel = DEBUG" });
        Assert.Equal(TimeSpan.FromSeconds(3), c.GetTimeSpan("akka.remote.retry-gate-closed-for"));
        Assert.Equal("DEBUG", c.GetString("akka.loglevel"));
    }

    [Fact]
    public void The_journal_plugin_opens_a_connection_per_write_instead_of_cloning_one()
    {
        // What the plugin itself reads (its default is on; cloning cost ~50 us of server CPU per put on three members).
        var c = EtcdNode.BuildConfig(Member);
        var journal = new JournalConfig(c.GetConfig("akka.persistence.journal.sql")
            .WithFallback(SqlPersistence.DefaultConfiguration.GetConfig("akka.persistence.journal.sql")));
        Assert.False(journal.UseCloneConnection);
    }

    [Fact]
    public void The_journal_hocon_for_specs_creates_its_tables_on_the_given_file()
    {
        var c = ConfigurationFactory.ParseString(RaftHocon.JournalHocon("/tmp/x.db"));
        Assert.True(c.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        Assert.Equal("Data Source=/tmp/x.db", c.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal("Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql", c.GetString("akka.persistence.journal.sql.class"));
    }
}
