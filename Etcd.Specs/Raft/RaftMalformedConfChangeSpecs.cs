using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Raft.RaftNetwork;

namespace Etcd.Specs.Raft;

/// <summary>
/// Garbage never enters the log as a conf change: the leader refuses a change that does not apply to its
/// configuration, turns a raw proposal's unreadable or inapplicable conf change into an empty entry (as
/// etcd-io/raft does with a change it refuses), and takes no raw proposal from another member. A committed
/// entry that is not a conf change all the same (an older or foreign log) is applied as a no-op, configuration
/// unchanged, where etcd-io/raft panics: the verdict depends on the entry alone, so every member and every
/// restart reach the same one, and no committed entry can crash-loop the cluster.
/// </summary>
public class RaftMalformedConfChangeSpecs
{
    // Field 1 as a length-delimited field of 5 bytes, with only one there: not a ConfChange.
    private static readonly ByteString Garbage = ByteString.CopyFrom(0x0A, 0x05, 0x61);

    private static ClusterConfig C(params ulong[] voters) => new(voters);

    private static Entry GarbageConf(ulong index, ulong term) =>
        new() { Index = index, Term = term, Type = EntryType.EntryConfChange, Data = Garbage };

    [Fact]
    public void The_garbage_is_not_a_conf_change() =>
        Assert.Throws<InvalidProtocolBufferException>(() => ConfChange.Parser.ParseFrom(Garbage));

    [Fact]
    public void A_leader_refuses_a_change_that_does_not_apply_to_its_configuration()
    {
        var net = RaftConfChangeSpecs.Elected();
        var last = net[1].LastIndex;
        foreach (var cc in new[]
                 {
                     AddVoter(2), AddLearner(3), Remove(9), Change(ConfChangeType.ConfChangeUpdateNode, 9), AddVoter(0),
                     Change((ConfChangeType)42, 4),
                 })
            Assert.Equal(RaftNode.ConfChangeRefusal.Invalid, net[1].ProposeConfChange(cc));
        Assert.Equal(last, net[1].LastIndex);
        Assert.False(net[1].HasPendingConfChange);

        // A change that applies is still taken.
        net.AddNode(4);
        Assert.Null(net[1].ProposeConfChange(AddLearner(4)));
        net.Stabilize();
        Assert.All(new ulong[] { 1, 2, 3 }, id => Assert.Equal(new ClusterConfig([1, 2, 3], [4]), net[id].Config));
    }

    [Fact]
    public void Unreadable_or_inapplicable_conf_changes_in_a_raw_proposal_become_empty_entries()
    {
        var net = RaftConfChangeSpecs.Elected();
        var last = net[1].LastIndex;
        var raw = new Message { Type = MessageType.MsgProp, From = 1 };
        raw.Entries.Add(new Entry { Type = EntryType.EntryConfChange, Data = Garbage });
        raw.Entries.Add(new Entry { Type = EntryType.EntryConfChange, Data = AddVoter(2).ToByteString() });
        raw.Entries.Add(new Entry { Type = EntryType.EntryNormal, Data = ByteString.CopyFromUtf8("x") });
        net[1].Step(raw);
        net.Stabilize();

        foreach (var n in net.Nodes.Values)
        {
            var appended = n.Log.Slice(last + 1, last + 4);
            Assert.All(appended, e => Assert.Equal(EntryType.EntryNormal, e.Type));
            Assert.Equal(["", "", "x"], appended.Select(e => e.Data.ToStringUtf8()));
            Assert.Equal(C(1, 2, 3), n.Config);
        }
        Assert.False(net[1].HasPendingConfChange);
    }

    [Fact]
    public void A_raw_proposal_from_another_member_is_not_appended()
    {
        var net = RaftConfChangeSpecs.Elected();
        var last = net[1].LastIndex;
        // Our followers forward proposals as ForwardedProposals, which the leader's host validates; a raw MsgProp
        // from a member skipped that check.
        var raw = new Message { Type = MessageType.MsgProp, From = 2, To = 1 };
        raw.Entries.Add(new Entry { Type = EntryType.EntryConfChange, Data = Remove(3).ToByteString() });
        raw.Entries.Add(new Entry { Type = EntryType.EntryNormal, Data = ByteString.CopyFromUtf8("unvalidated") });
        net[1].Step(raw);
        net.Stabilize();
        Assert.Equal(last, net[1].LastIndex);
        Assert.Equal(C(1, 2, 3), net[1].Config);
    }

    [Fact]
    public void A_committed_entry_that_is_not_a_conf_change_is_applied_as_a_no_op_and_again_after_a_restart()
    {
        var hard = new HardState { Term = 2, Commit = 3 };
        List<Entry> log = [E(1, 1), GarbageConf(2, 2), E(3, 2, "after")];
        var cfg = new RaftConfig { Id = 1, Voters = [1, 2, 3], Random = new SeededRandomSource(1) };

        var n = RaftNode.Create(cfg, new RaftRecoveredState(hard, log));
        var rd = n.GetReady();
        Assert.Equal([1UL, 2UL, 3UL], rd.CommittedEntries.Select(e => e.Index));
        Assert.Null(rd.Config);
        Assert.Equal(C(1, 2, 3), n.Config);
        n.Advance(rd);
        Assert.Equal(3UL, n.AppliedIndex);

        // A host that says it applied them replays the membership at construction: the same verdict.
        var restarted = RaftNode.Create(cfg with { Applied = 3 }, new RaftRecoveredState(hard, log));
        Assert.Equal(C(1, 2, 3), restarted.Config);
        Assert.Equal(3UL, restarted.AppliedIndex);
    }
}
