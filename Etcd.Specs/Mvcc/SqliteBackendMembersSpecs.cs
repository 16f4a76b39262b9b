using Etcd.Actors.Cluster.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Mvccpb;
using Etcd.Specs.Cluster;
using Etcd.Specs.Support;
using Microsoft.Data.Sqlite;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>The backend's member tables, snapshot copy, checkpoint and snapshot inspection.</summary>
public sealed class SqliteBackendMembersSpecs : IDisposable
{
    private readonly TempDir _dir = new("mvcc-members");
    private string DbPath => Path.Combine(_dir.Path, "member", "mvcc.db");

    public void Dispose() => _dir.Dispose();

    private static MemberTable SampleTable() => new(
    [
        new ClusterMember(1, "a", ["http://10.0.0.1:2380"], ["http://10.0.0.1:2379"], false),
        new ClusterMember(0xfedcba9876543210, "", ["http://10.0.0.2:2380", "http://10.0.0.2:2381"], [], false),
        new ClusterMember(7, "learner \"seven\", with, commas", ["http://10.0.0.7:2380"], ["http://x:1\n", "unicode-é"], true),
    ], [3, 0x8000000000000001]);

    private static void Put(SqliteBackend b, long rev, string key) =>
        b.PutRevision(new Revision(rev, 0), new KeyValue { Key = B(key), Value = B("v" + rev), CreateRevision = rev, ModRevision = rev, Version = 1 }, false);

    [Fact]
    public void Members_are_written_with_the_batch_and_loaded_at_open()
    {
        using (var b = SqliteBackend.Open(DbPath))
        {
            Assert.Empty(b.Members.Members);
            b.StageMembers(SampleTable());
            Assert.Empty(b.Members.Members); // staged, not committed
            Put(b, 2, "k");
            b.Commit(5);
            Assert.Equal(SampleTable().Members, b.Members.Members);
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            Assert.Equal(5ul, b.ConsistentIndex);
            Assert.Equal(SampleTable().Members, b.Members.Members);
            Assert.Equal([3ul, 0x8000000000000001], b.Members.Removed);
        }
    }

    [Fact]
    public void A_staged_table_without_commit_is_lost_with_its_index_and_a_new_table_replaces_the_old()
    {
        using (var b = SqliteBackend.Open(DbPath))
        {
            b.StageMembers(SampleTable());
            b.Commit(1);
            b.StageMembers(MemberTable.Empty.Add(9, "nine", "http://10.0.0.9:2380").Ok());
            // no commit: a crash here
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            Assert.Equal(1ul, b.ConsistentIndex);
            Assert.Equal(SampleTable().Members, b.Members.Members);
            b.StageMembers(MemberTable.Empty.Add(9, "nine", "http://10.0.0.9:2380").Ok());
            b.Commit(2);
        }
        using (var b = SqliteBackend.Open(DbPath))
        {
            Assert.Equal([9ul], b.Members.Members.Select(m => m.Id));
            Assert.Empty(b.Members.Removed);
        }
    }

    [Fact]
    public void CopyTo_writes_a_consistent_backend_that_Inspect_accepts()
    {
        var copy = _dir.Sub("snap.db");
        using (var b = SqliteBackend.Open(DbPath))
        {
            Put(b, 2, "a");
            b.StageMembers(SampleTable());
            b.Commit(10);
            Put(b, 3, "b");
            Assert.Throws<InvalidOperationException>(() => b.CopyTo(copy)); // uncommitted writes would be missing
            b.Commit(11);
            b.CopyTo(copy);
        }
        Assert.Equal(11ul, SqliteBackend.Inspect(copy));
        using var c = SqliteBackend.Open(copy);
        Assert.Equal(11ul, c.ConsistentIndex);
        Assert.NotNull(c.GetRevision(new Revision(3, 0)));
        Assert.Equal(SampleTable().Members, c.Members.Members);
    }

    [Fact]
    public void Inspect_refuses_missing_foreign_damaged_and_schemaless_files()
    {
        Assert.Throws<InvalidDataException>(() => SqliteBackend.Inspect(_dir.Sub("absent.db")));

        var garbage = _dir.Sub("garbage.db");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 8192).Select(i => (byte)i).ToArray());
        Assert.Throws<InvalidDataException>(() => SqliteBackend.Inspect(garbage));

        var other = _dir.Sub("other.db");
        using (var conn = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "CREATE TABLE kv (x INTEGER); CREATE TABLE meta (name TEXT, value INTEGER);";
            cmd.ExecuteNonQuery();
        }
        var ex = Assert.Throws<InvalidDataException>(() => SqliteBackend.Inspect(other));
        Assert.Contains("not a backend", ex.Message);

        var truncated = _dir.Sub("truncated.db");
        using (var b = SqliteBackend.Open(DbPath))
        {
            for (var r = 2; r < 2000; r++) Put(b, r, "key" + r);
            b.Commit(3);
            b.CopyTo(_dir.Sub("full.db"));
        }
        var bytes = File.ReadAllBytes(_dir.Sub("full.db"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Throws<InvalidDataException>(() => SqliteBackend.Inspect(truncated));
    }

    [Fact]
    public void After_a_checkpoint_the_database_file_alone_holds_every_commit()
    {
        using var b = SqliteBackend.Open(DbPath);
        Put(b, 2, "a");
        b.Commit(1);
        Put(b, 3, "b");
        b.Commit(2);

        // What power loss would leave if the WAL never reached the disk: the main file only.
        Assert.Equal(0ul, ConsistentIndexOfMainFileOnly("before.db"));
        b.Checkpoint();
        Assert.Equal(2ul, ConsistentIndexOfMainFileOnly("after.db"));
    }

    private ulong ConsistentIndexOfMainFileOnly(string name)
    {
        var copy = _dir.Sub(name);
        File.Copy(DbPath, copy);
        using var c = SqliteBackend.Open(copy);
        return c.ConsistentIndex;
    }
}
