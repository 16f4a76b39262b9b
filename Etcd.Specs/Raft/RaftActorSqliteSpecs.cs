using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Serialization;
using Etcd.Actors.Server;
using Etcd.Actors.Wait;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// RaftActor on the real journal: Akka.Persistence.Sql on a SQLite file in WAL mode, configured by
/// <see cref="RaftHocon"/> exactly as the node does. One ActorSystem (and db file) for the class.
/// </summary>
public class RaftActorSqliteSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly string _dir;
    private readonly string _db;
    private static ulong _nextMember = 0x2000;

    public RaftActorSqliteSpecs() : this(Path.Combine(Path.GetTempPath(), "etcd-raft-specs-" + Guid.NewGuid().ToString("N")))
    {
    }

    private RaftActorSqliteSpecs(string dir) : base(ConfigFor(dir), "raft-sqlite-specs")
    {
        _dir = dir;
        _db = DbPath(dir);
    }

    private static string DbPath(string dir) => Path.Combine(dir, "member", "raft.db");

    private static Config ConfigFor(string dir)
    {
        var db = DbPath(dir);
        SqlitePragmas.EnableWal(db);
        return ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.Serialization))
            .WithFallback(ConfigurationFactory.ParseString(RaftHocon.JournalHocon(db)));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private (IActorRef Raft, TestProbe Mvcc, WaitRegistry Waits) StartRaft(ulong member)
    {
        var mvcc = CreateTestProbe();
        mvcc.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccProtocol.RaftStarted);
        var waits = new WaitRegistry(10_000);
        var settings = RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(50), ElectionTick = 10 };
        return (Sys.ActorOf(RaftActor.Props(settings, member, [member], mvcc.Ref, waits)), mvcc, waits);
    }

    private static List<Entry> CollectApplied(TestProbe mvcc, ulong upTo)
    {
        var entries = new List<Entry>();
        while (entries.Count == 0 || entries[^1].Index < upTo)
            entries.AddRange(mvcc.ExpectMsg<MvccProtocol.ApplyCommitted>(Wait).Entries);
        return entries;
    }

    [Fact]
    public void The_log_survives_a_restart_on_sqlite_in_wal_mode_with_protobuf_rows()
    {
        var member = Interlocked.Increment(ref _nextMember);
        var (raft, mvcc, waits) = StartRaft(member);
        // Bootstrap: the conf change at 1 (term 1), then the new leader's empty entry at 2 (term 2, or later when its
        // vote's write outlasted an election timeout on a starved machine).
        var term = CollectApplied(mvcc, 2)[^1].Term;
        for (ulong i = 1; i <= 50; i++)
        {
            waits.Register(i);
            raft.Tell(new RaftProtocol.Propose(i, ByteString.CopyFromUtf8($"s{i}")));
        }
        CollectApplied(mvcc, 52);
        Watch(raft);
        Sys.Stop(raft);
        ExpectTerminated(raft, Wait);

        var (_, mvcc2, _) = StartRaft(member);
        var replay = CollectApplied(mvcc2, 53);
        Assert.Equal(53, replay.Count);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => $"s{i}"), replay.Skip(2).Take(50).Select(e => e.Data.ToStringUtf8()));
        Assert.True(replay[^1].Term > term, $"the restarted actor leads term {replay[^1].Term}, not one after {term}");

        Assert.Equal("wal", SqlitePragmas.JournalMode(_db), ignoreCase: true);
        using var conn = new SqliteConnection($"Data Source={_db};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT DISTINCT identifier, manifest FROM journal WHERE persistence_id = $p ORDER BY manifest";
        cmd.Parameters.AddWithValue("$p", RaftActor.PersistenceIdFor(member));
        var rows = new List<(long, string)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) rows.Add((r.GetInt64(0), r.GetString(1)));
        // A single member elects itself only once its new term and vote are durable (HardStateSaved, its own row);
        // every later hard state rides on the entries' rows.
        Assert.Equal([(9002L, "raftpb.EntriesAppended"), (9002L, "raftpb.HardStateSaved")], rows);
    }

    [Fact]
    public void Recovery_honours_truncation_markers()
    {
        var member = Interlocked.Increment(ref _nextMember);
        static Entry E(ulong i, ulong t, string d) => new() { Index = i, Term = t, Data = ByteString.CopyFromUtf8(d) };
        var first = new EntriesAppended { Entries = { E(1, 1, ""), E(2, 1, "a"), E(3, 1, "b") } };
        var replacement = new EntriesAppended { Entries = { E(2, 2, "x") } };
        var writer = Sys.ActorOf(JournalProbeActor.Props(RaftActor.PersistenceIdFor(member), CreateTestProbe().Ref));
        writer.Tell(new JournalProbeActor.Write(
        [
            new HardStateSaved { State = new HardState { Term = 1, Vote = member, Commit = 1 } },
            first,
            new LogTruncatedFrom { Index = 2 },
            replacement,
            new HardStateSaved { State = new HardState { Term = 2, Vote = member, Commit = 2 } },
        ]));
        ExpectMsg<JournalProbeActor.Written>(Wait);
        Sys.Stop(writer);

        var (_, mvcc, _) = StartRaft(member);
        var applied = CollectApplied(mvcc, 3);
        Assert.Equal([(1UL, 1UL, ""), (2UL, 2UL, "x")], applied.Take(2).Select(e => (e.Index, e.Term, e.Data.ToStringUtf8())));
        // The new leader's empty entry: term 3, or later when its vote's write outlasted an election timeout.
        Assert.Equal((3UL, ""), (applied[2].Index, applied[2].Data.ToStringUtf8()));
        Assert.True(applied[2].Term >= 3, $"led in term {applied[2].Term}");
    }
}
