using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

public sealed class MvccStoreActorSnapshotSpecs() : MvccStoreActorSpecBase("mvcc-snapshot-actor")
{
    private void ApplyAndWait(IActorRef mvcc, List<Entry> entries)
    {
        mvcc.Tell(new MvccProtocol.ApplyCommitted(entries, 2), TestActor);
        FishForMessage(m => m is MvccProtocol.Applied a && a.Index == entries[^1].Index, Wait);
    }

    private void Stop(IActorRef mvcc)
    {
        Watch(mvcc);
        mvcc.Tell(PoisonPill.Instance);
        ExpectTerminated(mvcc, Wait);
    }

    private static async Task<RangeResponse> Range(IActorRef mvcc, RangeRequest request)
    {
        var read = MvccEntries.Read(request);
        mvcc.Tell(new MvccProtocol.SerializableRead(read));
        return (RangeResponse)await read.Completion.Task.WaitAsync(Wait);
    }

    private static async Task<ulong> AppliedIndex(IActorRef mvcc)
    {
        var tcs = new TaskCompletionSource<StatusReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        mvcc.Tell(new MvccProtocol.FillStatus(new StatusReport(), tcs));
        return (await tcs.Task.WaitAsync(Wait)).RaftAppliedIndex;
    }

    private MvccProtocol.MembersChanged Members(IActorRef mvcc)
    {
        var probe = CreateTestProbe();
        mvcc.Tell(new MvccProtocol.GetMembers(probe.Ref));
        return probe.ExpectMsg<MvccProtocol.MembersChanged>(Wait);
    }

    /// <summary>Store "a": three members, 40 puts over 10 keys, a delete and a compaction; applied index 46.</summary>
    private IActorRef HistoryA()
    {
        var a = StartStore("a");
        var entries = MvccEntries.Bootstrap((1, "a"), (2, "b"), (3, "c"));
        var index = 3ul;
        for (var i = 0; i < 40; i++) entries.Add(MvccEntries.Put(++index, $"key{i % 10}", $"value{i}"));
        entries.Add(MvccEntries.Normal(++index, 0, new InternalRaftRequest { DeleteRange = new DeleteRangeRequest { Key = B("key3") } }));
        entries.Add(MvccEntries.Normal(++index, 0, new InternalRaftRequest { Compaction = new CompactionRequest { Revision = 20 } }));
        entries.Add(MvccEntries.Conf(++index, ConfChangeType.ConfChangeAddLearnerNode, 4, 0, "", "http://10.0.0.4:2380"));
        entries.Add(MvccEntries.Conf(++index, ConfChangeType.ConfChangeRemoveNode, 3));
        entries.Add(MvccEntries.AttrSet(++index, 0, 4, "d", "http://10.0.0.4:2379"));
        entries.Add(MvccEntries.Put(++index, "last", "x"));
        Assert.Equal(49ul, index);
        ApplyAndWait(a, entries);
        return a;
    }

    /// <summary>Store "b": one member and another history up to <paramref name="upTo"/>.</summary>
    private IActorRef HistoryB(ulong upTo)
    {
        var b = StartStore("b");
        var entries = MvccEntries.Bootstrap((9, "solo"));
        for (var i = 2ul; i <= upTo; i++) entries.Add(MvccEntries.Put(i, $"other{i}", "b"));
        ApplyAndWait(b, entries);
        return b;
    }

    private MvccProtocol.SnapshotCreated Snapshot(IActorRef mvcc, string path)
    {
        mvcc.Tell(new MvccProtocol.CreateSnapshot(path), TestActor);
        return ExpectMsg<MvccProtocol.SnapshotCreated>(Wait);
    }

    [Fact]
    public async Task A_snapshot_installed_into_another_store_makes_it_identical()
    {
        var a = HistoryA();
        var path = Dir.Sub("transfer/snap.db");
        var created = Snapshot(a, path);
        Assert.Equal((path, 49ul), (created.Path, created.ConsistentIndex));
        Assert.Equal(new FileInfo(path).Length, created.SizeBytes);

        var b = HistoryB(upTo: 10);
        // A linearizable read waiting for index 51 must keep waiting through the install.
        var pending = MvccEntries.Read(new RangeRequest { Key = B("after") });
        b.Tell(new MvccProtocol.ReadAt(51, 2, [pending]));
        // One waiting for an index the snapshot covers is served by the install itself, from the new data.
        var covered = MvccEntries.Read(new RangeRequest { Key = B("last") });
        b.Tell(new MvccProtocol.ReadAt(45, 2, [covered]));

        b.Tell(new MvccProtocol.InstallSnapshot(path), TestActor);
        Assert.Equal(49ul, ExpectMsg<MvccProtocol.SnapshotInstalled>(Wait).ConsistentIndex);
        Assert.Equal(49ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.False(File.Exists(path)); // moved into place
        Assert.False(File.Exists(MemberSettings("b").BackendPath + ".installing"));
        Assert.Equal("x", ((RangeResponse)await covered.Completion.Task.WaitAsync(Wait)).Kvs.Single().Value.ToStringUtf8());
        Assert.False(pending.Completion.Task.IsCompleted);

        await AssertIdentical(a, b);

        // Raft goes on from the snapshot's index; the waiting read is served once it is reached.
        ApplyAndWait(b, [MvccEntries.Put(50, "after", "1"), MvccEntries.Put(51, "after", "2")]);
        var served = (RangeResponse)await pending.Completion.Task.WaitAsync(Wait);
        Assert.Equal("2", served.Kvs.Single().Value.ToStringUtf8());

        // A restart reopens the installed data.
        ApplyAndWait(a, [MvccEntries.Put(50, "after", "1"), MvccEntries.Put(51, "after", "2")]);
        Stop(b);
        var b2 = StartStore("b");
        await AssertIdentical(a, b2);
    }

    /// <summary>
    /// Only the RaftActor incarnation that announced itself last is obeyed (as for apply batches): an older one's
    /// install, checkpoint and linearizable reads are refused and change nothing; the current one's install works.
    /// </summary>
    [Fact]
    public async Task Install_checkpoint_and_reads_from_an_older_raft_incarnation_are_refused()
    {
        var a = HistoryA();
        var path = Dir.Sub("stale/snap.db");
        Snapshot(a, path);
        var b = HistoryB(upTo: 10);
        var older = CreateTestProbe();
        var current = CreateTestProbe();
        b.Tell(new MvccProtocol.RaftStarted(), older.Ref);
        b.Tell(new MvccProtocol.RaftStarted(), current.Ref);

        b.Tell(new MvccProtocol.InstallSnapshot(path), older.Ref);
        Assert.Equal(path, older.ExpectMsg<MvccProtocol.SnapshotFailed>(Wait).Path);
        b.Tell(new MvccProtocol.Checkpoint(), older.Ref);
        older.ExpectMsg<MvccProtocol.CheckpointFailed>(Wait);
        var read = MvccEntries.Read(new RangeRequest { Key = B("key9") });
        b.Tell(new MvccProtocol.ReadAt(5, 2, [read]), older.Ref);
        Assert.Same(EtcdErrors.Stopped, (await Assert.ThrowsAsync<EtcdException>(() => read.Completion.Task.WaitAsync(Wait))).Error);
        Assert.True(File.Exists(path));
        Assert.Equal(10ul, await AppliedIndex(b));

        b.Tell(new MvccProtocol.InstallSnapshot(path), current.Ref);
        Assert.Equal(49ul, current.ExpectMsg<MvccProtocol.SnapshotInstalled>(Wait).ConsistentIndex);
    }

    private async Task AssertIdentical(IActorRef a, IActorRef b)
    {
        var ra = await Range(a, MvccEntries.All());
        var rb = await Range(b, MvccEntries.All());
        Assert.Equal(ra.Kvs, rb.Kvs);
        Assert.Equal(ra.Header.Revision, rb.Header.Revision);
        Assert.Contains(rb.Kvs, kv => kv.Key.ToStringUtf8() == "key9");
        Assert.DoesNotContain(rb.Kvs, kv => kv.Key.ToStringUtf8().StartsWith("other", StringComparison.Ordinal));
        // History and the compaction came along too.
        Assert.Equal((await Range(a, MvccEntries.All(rev: 30))).Kvs, (await Range(b, MvccEntries.All(rev: 30))).Kvs);
        var below = MvccEntries.Read(MvccEntries.All(rev: 10));
        b.Tell(new MvccProtocol.SerializableRead(below));
        Assert.Same(EtcdErrors.Compacted, (await Assert.ThrowsAsync<EtcdException>(() => below.Completion.Task.WaitAsync(Wait))).Error);

        Assert.Equal(await AppliedIndex(a), await AppliedIndex(b));
        var ma = Members(a);
        var mb = Members(b);
        Assert.Equal(ma.Members, mb.Members);
        Assert.Equal(ma.Removed, mb.Removed);
        Assert.Equal([1ul, 2ul, 4ul], mb.Members.Select(m => m.ID));
        Assert.Equal("d", mb.Members[2].Name);
    }

    [Fact]
    public async Task An_older_snapshot_is_taken_as_installed_at_the_applied_index_and_changes_nothing()
    {
        // A store already past the snapshot (a crash after an install's rename, before RaftActor recorded it)
        // answers that it is installed at its own index: a refusal would restart RaftActor, which the leader
        // would offer the same older snapshot again, forever. The file is removed; the backend stays.
        var a = HistoryA();
        var path = Dir.Sub("old.db");
        Snapshot(a, path);

        var b = HistoryB(upTo: 60);
        b.Tell(new MvccProtocol.InstallSnapshot(path), TestActor);
        var installed = ExpectMsg<MvccProtocol.SnapshotInstalled>(Wait);
        Assert.Equal(60ul, installed.ConsistentIndex);
        Assert.False(File.Exists(path));

        Assert.Equal(60ul, await AppliedIndex(b));
        Assert.Equal(59, (await Range(b, MvccEntries.All())).Kvs.Count);
        Assert.Equal([9ul], Members(b).Members.Select(m => m.ID));
        // Still working.
        ApplyAndWait(b, [MvccEntries.Put(61, "k", "v")]);
    }

    [Fact]
    public async Task A_file_that_is_not_a_backend_is_refused()
    {
        var b = HistoryB(upTo: 5);
        var junk = Dir.Sub("junk.db");
        await File.WriteAllTextAsync(junk, "this is not a database, it is a sentence padded out to look bigger than a header");
        b.Tell(new MvccProtocol.InstallSnapshot(junk), TestActor);
        Assert.Contains("not a backend", ExpectMsg<MvccProtocol.SnapshotFailed>(Wait).Reason);
        b.Tell(new MvccProtocol.InstallSnapshot(Dir.Sub("missing.db")), TestActor);
        Assert.Contains("does not exist", ExpectMsg<MvccProtocol.SnapshotFailed>(Wait).Reason);
        Assert.Equal(4, (await Range(b, MvccEntries.All())).Kvs.Count);
    }

    [Fact]
    public void Create_snapshot_replaces_an_existing_file_and_reports_failure_for_an_unwritable_path()
    {
        var a = HistoryA();
        var path = Dir.Sub("snap.db");
        File.WriteAllText(path, "stale");
        var created = Snapshot(a, path);
        Assert.True(created.SizeBytes > 100);
        Assert.Equal(49ul, SqliteBackend.Inspect(path));

        var blocked = Dir.Sub("file-not-dir");
        File.WriteAllText(blocked, "x");
        a.Tell(new MvccProtocol.CreateSnapshot(Path.Combine(blocked, "snap.db")), TestActor);
        Assert.Equal(Path.Combine(blocked, "snap.db"), ExpectMsg<MvccProtocol.SnapshotFailed>(Wait).Path);
    }

    [Fact]
    public void Checkpoint_makes_every_commit_durable_in_the_database_file()
    {
        var b = HistoryB(upTo: 20);
        b.Tell(new MvccProtocol.Checkpoint(), TestActor);
        Assert.Equal(20ul, ExpectMsg<MvccProtocol.Checkpointed>(Wait).ConsistentIndex);

        // The database file alone (what survives if the WAL is lost) holds index 20.
        var copy = Dir.Sub("main-only.db");
        File.Copy(MemberSettings("b").BackendPath, copy);
        using var backend = SqliteBackend.Open(copy);
        Assert.Equal(20ul, backend.ConsistentIndex);
        Assert.Equal([9ul], backend.Members.Members.Select(m => m.Id));
    }
}
