using Akka.Actor;
using Akka.Persistence.TestKit;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Raft;
using Etcd.Actors.Wait;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Raft;

/// <summary>
/// A committed entry typed as a conf change whose bytes are not one (from an older or foreign log: the leader never
/// appends one) is applied as a no-op by RaftActor too, with an error line: it used to throw while noting the new
/// members' addresses, so the actor failed on the same committed entry after every restart, on every member.
/// </summary>
public sealed class RaftActorMalformedEntrySpecs() : Akka.TestKit.Xunit2.TestKit(RaftActorSpecs.TestJournalConfig, "raft-actor-malformed")
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static ulong _nextMember = 0x7000;

    [Fact]
    public async Task A_committed_unreadable_conf_change_is_applied_as_a_no_op_and_the_member_leads_on()
    {
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor("akka.persistence.journal.test"));
        await journal.OnWrite.Pass();
        await journal.OnRecovery.Pass();
        var member = Interlocked.Increment(ref _nextMember);
        var addSelf = new ConfChange { Type = ConfChangeType.ConfChangeAddNode, NodeId = member };
        var appended = new EntriesAppended { State = new HardState { Term = 1, Commit = 2 } };
        appended.Entries.Add(new Entry { Index = 1, Term = 1, Type = EntryType.EntryConfChange, Data = addSelf.ToByteString() });
        appended.Entries.Add(new Entry { Index = 2, Term = 1, Type = EntryType.EntryConfChange, Data = ByteString.CopyFrom(0x0A, 0x05, 0x61) });
        var writer = Sys.ActorOf(JournalProbeActor.Props(RaftActor.PersistenceIdFor(member), TestActor));
        ExpectMsg<JournalProbeActor.Replayed>(Wait);
        writer.Tell(new JournalProbeActor.Write([appended]));
        ExpectMsg<JournalProbeActor.Written>(Wait);
        Watch(writer);
        Sys.Stop(writer);
        ExpectTerminated(writer, Wait);

        var mvcc = CreateTestProbe();
        mvcc.IgnoreMessages(m => m is MvccProtocol.GetMembers or MvccProtocol.RaftStarted);
        var settings = RaftSettings.Default with { TickInterval = TimeSpan.FromMilliseconds(50), ElectionTick = 10 };
        var raft = Sys.ActorOf(RaftActor.Props(settings, member, [member], mvcc.Ref, new WaitRegistry(100)));
        Watch(raft);

        // The two recovered entries, then the member's own empty entry as leader of a new term.
        var applied = new List<Entry>();
        while (applied.Count == 0 || applied[^1].Index < 3) applied.AddRange(mvcc.ExpectMsg<MvccProtocol.ApplyCommitted>(Wait).Entries);
        Assert.Equal([1UL, 2UL, 3UL], applied.Select(e => e.Index));
        // Term 2 unless the vote's write outlasted an election timeout on a starved machine and it campaigned again.
        Assert.True(applied[^1].Term >= 2, $"led in term {applied[^1].Term}");
        Assert.True(applied[^1].Data.IsEmpty, "index 3 is the new leader's empty entry");
        ExpectNoMsg(TimeSpan.Zero); // not terminated
    }
}
