using System.Security.Cryptography;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Etcd.Specs.Support;
using SnapshotMetadata = Etcd.Api.Raftpb.SnapshotMetadata;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// A follower installing the leader's snapshot, against Akka.Persistence.TestKit's journal, with a probe as
/// MvccStoreActor (it answers the install when the spec says so) and the spec playing the leader.
/// </summary>
public class RaftActorSnapshotInstallSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const ulong Leader = 0xA1;
    private static ulong _nextMember = 0x2000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public RaftActorSnapshotInstallSpecs() : base(RaftActorSpecs.TestJournalConfig, "raft-actor-snapshot-install-specs")
    {
    }

    private ITestJournal Journal => TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor("akka.persistence.journal.test"));

    // An election timeout of 10 s: the follower never campaigns on its own while the spec runs.
    private static RaftSettings SettingsIn(string dir) =>
        RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(200), ElectionTick = 50, SnapshotDir = dir };

    private (IActorRef Raft, TestProbe Mvcc) Start(RaftSettings settings, ulong member)
    {
        var mvcc = CreateTestProbe();
        mvcc.IgnoreMessages(m => m is MvccProtocol.GetMembers);
        var raft = Sys.ActorOf(RaftActor.Props(settings, member, [member, Leader], mvcc.Ref, new Etcd.Actors.Wait.WaitRegistry(1000)));
        return (raft, mvcc);
    }

    private static PeerEnvelope FromLeader(ulong member, Message m)
    {
        m.From = Leader;
        m.To = member;
        return new PeerEnvelope { ClusterId = 0, To = member, From = Leader, Raft = m };
    }

    private static Message Append(ulong term, ulong index, ulong logTerm, ulong commit, params (ulong Index, ulong Term)[] entries)
    {
        var m = new Message { Type = MessageType.MsgApp, Term = term, Index = index, LogTerm = logTerm, Commit = commit };
        foreach (var (i, t) in entries) m.Entries.Add(new Entry { Index = i, Term = t, Data = ByteString.CopyFromUtf8($"e{i}") });
        return m;
    }

    /// <summary>The whole snapshot in one chunk: a MsgSnap at (index, term) with both members as voters.</summary>
    private static PeerEnvelope SnapshotChunk(ulong member, ulong index, ulong term)
    {
        var data = ByteString.CopyFromUtf8("not a real backend: the store is a probe");
        var snap = new Message
        {
            Type = MessageType.MsgSnap, From = Leader, To = member, Term = term,
            Snapshot = new Snapshot { Metadata = new SnapshotMetadata { Index = index, Term = term, ConfState = new ConfState { Voters = { member, Leader } } } },
        };
        var chunk = new SnapshotChunk
        {
            TransferId = 7, From = Leader, Offset = 0, Data = data, Last = true, TotalSize = (ulong)data.Length,
            Sha256 = ByteString.CopyFrom(SHA256.HashData(data.Span)), Snap = snap,
        };
        return new PeerEnvelope { ClusterId = 0, To = member, From = Leader, Chunk = chunk };
    }

    private IReadOnlyList<object> ReadJournal(ulong member)
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(JournalProbeActor.Props(RaftActor.PersistenceIdFor(member), probe.Ref));
        return probe.ExpectMsg<JournalProbeActor.Replayed>(Wait).Events;
    }

    private static HardState LastHardState(IReadOnlyList<object> events) =>
        events.Select(e => e switch { HardStateSaved h => h.State, EntriesAppended { State: { } s } => s, _ => null }).Last(s => s is not null)!;

    /// <summary>
    /// The install is asynchronous (the store loads the file, then RaftActor writes SnapshotInstalled), and peer
    /// messages keep being stepped meanwhile: here the leader appends and commits 11 and 12, then asks for a
    /// vote at term 3. The install's write must carry the term and vote taken meanwhile, and no commit index
    /// beyond what that write holds: when the next write (entries 11 and 12) fails, the member restarts from
    /// the install's write alone, keeps its vote, and catches up. Before, the install wrote the core's commit
    /// index (12) beside a log that ended at 10, and every recovery failed on it.
    /// </summary>
    [Fact]
    public async Task What_is_stepped_while_a_snapshot_installs_is_kept_and_the_member_recovers_from_the_install_alone()
    {
        await Journal.OnWrite.Pass();
        using var dir = new TempDir("raft-install");
        var member = Interlocked.Increment(ref _nextMember);
        var settings = SettingsIn(dir.Path);
        var (raft, mvcc) = Start(settings, member);
        var leader = CreateTestProbe();

        leader.Send(raft, SnapshotChunk(member, 10, 2));
        var install = mvcc.FishForMessage<MvccProtocol.InstallSnapshot>(m => m is MvccProtocol.InstallSnapshot, Wait);
        Assert.True(File.Exists(install.Path));

        // Delivered before the store answers (one sender's tells arrive in order; the spec thread tells all three).
        leader.Send(raft, FromLeader(member, Append(2, 10, 2, 12, (11, 2), (12, 2))));
        leader.Send(raft, FromLeader(member, new Message { Type = MessageType.MsgVote, Term = 3, Index = 12, LogTerm = 2, Context = RaftNode.CampaignTransferContext }));
        await Journal.OnWrite.SetInterceptorAsync(new FailEntriesFrom(11));
        Watch(raft);
        raft.Tell(new MvccProtocol.SnapshotInstalled(10), mvcc.Ref);
        ExpectTerminated(raft, Wait);
        await Journal.OnWrite.Pass();

        var events = ReadJournal(member);
        Assert.Contains(events, e => e is SnapshotInstalled { Metadata.Index: 10 });
        Assert.DoesNotContain(events, e => e is EntriesAppended a && a.Entries.Any(x => x.Index > 10));
        var hard = LastHardState(events);
        Assert.Equal((3UL, Leader), (hard.Term, hard.Vote));
        Assert.True(hard.Commit <= 10, $"the install wrote commit {hard.Commit} beside a log that ends at 10");

        // Restarted, it recovers (term 3, its vote for the leader) and takes the leader's entries again.
        var (raft2, mvcc2) = Start(settings, member);
        leader.Send(raft2, FromLeader(member, Append(3, 10, 2, 13, (11, 2), (12, 2), (13, 3))));
        var applied = mvcc2.FishForMessage<MvccProtocol.ApplyCommitted>(m => m is MvccProtocol.ApplyCommitted, Wait);
        Assert.Equal([11UL, 12, 13], applied.Entries.Select(e => e.Index));
        Assert.Equal(3UL, applied.Term);
    }

    /// <summary>Fails the write of any entry at or after <paramref name="index"/>.</summary>
    private sealed class FailEntriesFrom(ulong index) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message) =>
            message.Payload is EntriesAppended a && a.Entries.Any(e => e.Index >= index)
                ? throw new IOException("injected journal write failure")
                : Task.CompletedTask;
    }
}
