using System.Collections.Concurrent;
using System.Data.Common;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Config;
using Etcd.Actors.Serialization;
using Etcd.Api.Raftpb;
using Etcd.Specs.Support;
using LinqToDB;
using LinqToDB.Data;
using LinqToDB.Interceptors;
using LinqToDB.Mapping;
using Xunit;

namespace Etcd.Specs.Server;

/// <summary>
/// The journal's connections build an INSERT's SQL once and reuse it (<see cref="JournalSqlOptimizer"/>), and set
/// their pragmas once per native connection (<see cref="JournalConnectionInterceptor"/>), while every other statement
/// keeps linq2db's own rules.
/// </summary>
public sealed class JournalInsertSpecs
{
    [Fact]
    public async Task An_insert_with_string_and_blob_parameters_reuses_its_built_sql_on_the_journal_options()
    {
        using var dir = new TempDir("etcd-journal-insert");
        var texts = await InsertTexts(SqlitePragmas.JournalDataOptions(dir.Sub("raft.db"), new JournalConnectionInterceptor()));
        // The same string instance: linq2db handed out the command it built for the first insert.
        Assert.All(texts.Skip(1), t => Assert.Same(texts[0], t));
    }

    [Fact]
    public async Task Without_the_journal_provider_linq2db_builds_that_insert_again_for_every_row()
    {
        // What the spec above would see if the journal's options lost their provider: a new text per insert. This
        // pins linq2db 6.5's own rule (a string or byte[] parameter makes a statement parameter dependent); if a later
        // linq2db caches such INSERTs itself, this fails and JournalSqlOptimizer may be unneeded.
        using var dir = new TempDir("etcd-journal-insert");
        var plain = new DataOptions().UseConnectionString(ProviderName.SQLiteMS, RaftHocon.ConnectionString(dir.Sub("raft.db")));
        var texts = await InsertTexts(plain);
        Assert.NotSame(texts[0], texts[1]);
        Assert.Equal(texts[0], texts[1]);
    }

    [Fact]
    public async Task A_pooled_journal_connection_handed_out_again_still_runs_with_synchronous_full()
    {
        using var dir = new TempDir("etcd-journal-insert");
        var interceptor = new JournalConnectionInterceptor();
        var options = SqlitePragmas.JournalDataOptions(dir.Sub("raft.db"), interceptor);
        SqlitePragmas.EnableWal(dir.Sub("raft.db"));
        for (var i = 0; i < 3; i++)
        {
            await using var db = new DataConnection(options);
            Assert.Equal(SqlitePragmas.SynchronousFull, await db.ExecuteAsync<long>("PRAGMA synchronous;"));
        }
        Assert.Equal(3, interceptor.Opened);
        Assert.Equal(1, interceptor.Configured); // the pool's one native connection, configured the first time
        // A native connection opened anew (the pool cleared) is configured again.
        using (var samePool = new Microsoft.Data.Sqlite.SqliteConnection(RaftHocon.ConnectionString(dir.Sub("raft.db"))))
            Microsoft.Data.Sqlite.SqliteConnection.ClearPool(samePool);
        await using (var db = new DataConnection(options))
            Assert.Equal(SqlitePragmas.SynchronousFull, await db.ExecuteAsync<long>("PRAGMA synchronous;"));
        Assert.Equal(2, interceptor.Configured);
    }

    [Fact]
    public void The_journal_options_name_the_provider_the_plugin_maps_by_and_carry_the_journal_provider()
    {
        using var dir = new TempDir("etcd-journal-insert");
        var options = SqlitePragmas.JournalDataOptions(dir.Sub("raft.db"), new JournalConnectionInterceptor());
        // Akka.Persistence.Sql picks its column mappings by the provider's name, so the name stays SQLite.MS.
        Assert.Equal(ProviderName.SQLiteMS, options.ConnectionOptions.ProviderName);
        Assert.IsType<JournalSqliteProvider>(options.ConnectionOptions.DataProvider);
    }

    [Fact]
    public async Task Rows_with_and_without_nulls_keep_their_values_and_a_query_by_a_null_parameter_still_reads_is_null()
    {
        using var dir = new TempDir("etcd-journal-insert");
        var options = SqlitePragmas.JournalDataOptions(dir.Sub("raft.db"), new JournalConnectionInterceptor());
        await InsertTexts(options);
        await using var db = new DataConnection(options);
        var rows = db.GetTable<Row>().OrderBy(r => r.Id).ToList();
        Assert.Equal(6, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(i % 2 == 0 ? null : $"m{i}", rows[i].Manifest);
            Assert.Equal(i % 3 == 0 ? null : new byte[] { (byte)i, 7 }, rows[i].Message);
        }
        // A predicate on a parameter is still rebuilt per value: null must read IS NULL, not "= NULL" (which matches nothing).
        string? wanted = null;
        Assert.Equal([0, 2, 4], db.GetTable<Row>().Where(r => r.Manifest == wanted).OrderBy(r => r.Id).Select(r => r.Id).ToList());
        wanted = "m3";
        Assert.Equal([3], db.GetTable<Row>().Where(r => r.Manifest == wanted).Select(r => r.Id).ToList());
    }

    [Fact]
    public async Task The_journal_plugins_own_rows_are_written_with_the_insert_built_for_the_first()
    {
        // Akka.Persistence.Sql's own JournalRow mapping, through the options a member hands it (SqlitePragmas), not a
        // table of ours: every persisted event's INSERT is the command text linq2db built for the first.
        using var dir = new TempDir("etcd-journal-insert");
        var db = dir.Sub("raft.db");
        SqlitePragmas.PrepareJournal(db);
        var seen = new TextRecorder();
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization))
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.JournalHocon(db, autoInitialize: false)));
        var setup = BootstrapSetup.Create().WithConfig(config)
            .And(new DataOptionsSetup(SqlitePragmas.JournalDataOptions(db, new JournalConnectionInterceptor()).UseInterceptor(seen)));
        var system = ActorSystem.Create("journal-insert", setup);
        try
        {
            var writer = system.ActorOf(Props.Create(() => new Writer()));
            for (ulong term = 1; term <= 20; term++)
                Assert.Equal(term, await writer.Ask<ulong>(new HardStateSaved { State = new HardState { Term = term } }, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await system.Terminate();
        }
        var texts = seen.Texts.ToList();
        Assert.True(texts.Count >= 20, $"20 persisted events made {texts.Count} journal INSERTs");
        Assert.All(texts.Skip(1), t => Assert.Same(texts[0], t));
    }

    /// <summary>Persists each HardStateSaved it is sent (one journal write each) and answers with its term.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        public override string PersistenceId => "journal-insert-spec";

        public Writer() => Command<HardStateSaved>(e => Persist(e, saved => Sender.Tell(saved.State.Term)));
    }

    // Six inserts through linq2db's InsertAsync (as Akka.Persistence.Sql writes a journal row), nulls and values
    // mixed, on a new DataConnection each (as the plugin opens one per write); the command texts linq2db executed.
    private static async Task<List<string>> InsertTexts(DataOptions options)
    {
        var seen = new TextRecorder();
        options = options.UseInterceptor(seen);
        await using (var setup = new DataConnection(options))
            await setup.ExecuteAsync("CREATE TABLE IF NOT EXISTS insert_row (id INTEGER NOT NULL PRIMARY KEY, manifest TEXT NULL, message BLOB NULL)");
        for (var i = 0; i < 6; i++)
        {
            await using var db = new DataConnection(options);
            await db.InsertAsync(new Row { Id = i, Manifest = i % 2 == 0 ? null : $"m{i}", Message = i % 3 == 0 ? null : [(byte)i, 7] });
        }
        return seen.Texts.ToList();
    }

    [Table("insert_row")]
    private sealed class Row
    {
        [Column("id"), PrimaryKey] public long Id { get; set; }
        [Column("manifest")] public string? Manifest { get; set; }
        [Column("message")] public byte[]? Message { get; set; }
    }

    private sealed class TextRecorder : CommandInterceptor
    {
        // The journal plugin writes on pool threads (one write at a time); the spec reads after the writes.
        public ConcurrentQueue<string> Texts { get; } = [];

        public override DbCommand CommandInitialized(CommandEventData eventData, DbCommand command)
        {
            if (command.CommandText.StartsWith("INSERT", StringComparison.Ordinal)) Texts.Enqueue(command.CommandText);
            return command;
        }
    }
}
