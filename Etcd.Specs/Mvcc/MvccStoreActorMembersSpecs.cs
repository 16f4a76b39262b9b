using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

public sealed class MvccStoreActorMembersSpecs() : MvccStoreActorSpecBase("mvcc-members-actor")
{
    private void Apply(IActorRef mvcc, List<Entry> entries, ulong term = 2) =>
        mvcc.Tell(new MvccProtocol.ApplyCommitted(entries, term), TestActor);

    private IActorRef Bootstrapped()
    {
        var mvcc = StartStore();
        Apply(mvcc, MvccEntries.Bootstrap((1, "a"), (2, "b"), (3, "c")));
        ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        Assert.Equal(3ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        return mvcc;
    }

    [Fact]
    public void Bootstrap_entries_build_the_member_table_and_it_is_announced_to_the_sender()
    {
        var mvcc = StartStore();
        Apply(mvcc, MvccEntries.Bootstrap((1, "a"), (2, "b"), (3, "c")));
        var changed = ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        Assert.Equal(3ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.Equal([1ul, 2ul, 3ul], changed.Members.Select(m => m.ID));
        Assert.Equal(["a", "b", "c"], changed.Members.Select(m => m.Name));
        Assert.Equal("http://10.0.0.2:2380", changed.Members[1].PeerURLs.Single());
        Assert.Empty(changed.Removed);

        var probe = CreateTestProbe();
        mvcc.Tell(new MvccProtocol.GetMembers(probe.Ref));
        Assert.Equal(changed.Members, probe.ExpectMsg<MvccProtocol.MembersChanged>(Wait).Members);
    }

    [Fact]
    public async Task Conf_change_waiters_get_etcds_responses_and_refusals_fail_with_etcd_errors()
    {
        var mvcc = Bootstrapped();
        var ids = new ulong[] { 100, 101, 102, 103, 104, 105, 106 };
        var w = ids.ToDictionary(id => id, id => Waits.Register(id)!);
        Apply(mvcc,
        [
            MvccEntries.Conf(4, ConfChangeType.ConfChangeAddLearnerNode, 4, 100, "", "http://10.0.0.4:2380"),
            MvccEntries.Put(5, "k", "v", 101),
            MvccEntries.Conf(6, ConfChangeType.ConfChangeAddNode, 4, 102, "", "http://10.0.0.4:2380"), // promote
            MvccEntries.Conf(7, ConfChangeType.ConfChangeUpdateNode, 2, 103, "", "http://10.0.9.2:2380"),
            MvccEntries.Conf(8, ConfChangeType.ConfChangeRemoveNode, 3, 104),
            MvccEntries.Conf(9, ConfChangeType.ConfChangeRemoveNode, 3, 105), // already removed
            MvccEntries.Conf(10, ConfChangeType.ConfChangeAddNode, 1, 106, "", "http://10.0.0.9:2380"), // present voter
        ], term: 5);
        var changed = ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        Assert.Equal(10ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.Equal([1ul, 2ul, 4ul], changed.Members.Select(m => m.ID));
        Assert.Equal([3ul], changed.Removed);

        var add = (MemberAddResponse)await w[100].Task.WaitAsync(Wait);
        Assert.Equal((0xCCul, 0xAAul, 1L, 5ul), (add.Header.ClusterId, add.Header.MemberId, add.Header.Revision, add.Header.RaftTerm));
        Assert.Equal(4ul, add.Member.ID);
        Assert.True(add.Member.IsLearner);
        Assert.Equal("http://10.0.0.4:2380", add.Member.PeerURLs.Single());
        Assert.Equal([1ul, 2ul, 3ul, 4ul], add.Members.Select(m => m.ID));

        var put = (PutResponse)await w[101].Task.WaitAsync(Wait);
        Assert.Equal(2, put.Header.Revision);

        var promote = (MemberPromoteResponse)await w[102].Task.WaitAsync(Wait);
        Assert.Equal(2, promote.Header.Revision);
        Assert.False(promote.Members.Single(m => m.ID == 4).IsLearner);

        var update = (MemberUpdateResponse)await w[103].Task.WaitAsync(Wait);
        Assert.Equal(["http://10.0.9.2:2380"], update.Members.Single(m => m.ID == 2).PeerURLs);
        Assert.Equal("b", update.Members.Single(m => m.ID == 2).Name);

        var remove = (MemberRemoveResponse)await w[104].Task.WaitAsync(Wait);
        Assert.Equal([1ul, 2ul, 4ul], remove.Members.Select(m => m.ID));

        Assert.Same(EtcdErrors.MemberNotFound, (await Assert.ThrowsAsync<EtcdException>(() => w[105].Task.WaitAsync(Wait))).Error);
        Assert.Same(EtcdErrors.MemberExist, (await Assert.ThrowsAsync<EtcdException>(() => w[106].Task.WaitAsync(Wait))).Error);
        Assert.Equal(0, Waits.Count);
    }

    [Fact]
    public async Task A_batch_whose_changes_are_all_refused_announces_nothing()
    {
        var mvcc = Bootstrapped();
        var w = Waits.Register(200)!;
        Apply(mvcc, [MvccEntries.Conf(4, ConfChangeType.ConfChangeUpdateNode, 9, 200, "", "http://10.0.0.9:2380")]);
        // MembersChanged would come before Applied.
        Assert.Equal(4ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        Assert.Same(EtcdErrors.MemberNotFound, (await Assert.ThrowsAsync<EtcdException>(() => w.Task.WaitAsync(Wait))).Error);
    }

    [Fact]
    public async Task A_members_publish_sets_name_and_client_urls_and_answers_with_the_member_list()
    {
        var mvcc = StartStore();
        Apply(mvcc, MvccEntries.Bootstrap((1, ""), (2, "")));
        ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        ExpectMsg<MvccProtocol.Applied>(Wait);

        var w = Waits.Register(300)!;
        var ghost = Waits.Register(301)!;
        Apply(mvcc, [MvccEntries.AttrSet(3, 300, 2, "two", "http://10.0.0.2:2379"), MvccEntries.AttrSet(4, 301, 9, "ghost", "http://x:1")], term: 3);
        var changed = ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        Assert.Equal("two", changed.Members[1].Name);
        Assert.Equal(["http://10.0.0.2:2379"], changed.Members[1].ClientURLs);

        var list = (MemberListResponse)await w.Task.WaitAsync(Wait);
        Assert.Equal((0xCCul, 3ul), (list.Header.ClusterId, list.Header.RaftTerm));
        Assert.Equal("two", list.Members.Single(m => m.ID == 2).Name);
        // An unknown member's publish is ignored, but its waiter is answered all the same.
        var ghostList = (MemberListResponse)await ghost.Task.WaitAsync(Wait);
        Assert.DoesNotContain(ghostList.Members, m => m.ID == 9);

        // A publish that changes nothing announces nothing.
        var again = Waits.Register(302)!;
        Apply(mvcc, [MvccEntries.AttrSet(5, 302, 2, "two", "http://10.0.0.2:2379")]);
        Assert.Equal(5ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index);
        await again.Task.WaitAsync(Wait);
    }

    [Fact]
    public async Task The_table_survives_a_restart_and_re_delivered_conf_changes_are_skipped()
    {
        var mvcc = Bootstrapped();
        var entries = new List<Entry>
        {
            MvccEntries.Conf(4, ConfChangeType.ConfChangeRemoveNode, 3, 400),
            MvccEntries.AttrSet(5, 0, 1, "alpha", "http://10.0.0.1:2379"),
        };
        var w = Waits.Register(400)!;
        Apply(mvcc, entries);
        var before = ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        await w.Task.WaitAsync(Wait);

        Watch(mvcc);
        mvcc.Tell(PoisonPill.Instance);
        ExpectTerminated(mvcc);

        mvcc = StartStore();
        var again = Waits.Register(400)!;
        Apply(mvcc, MvccEntries.Bootstrap((1, "a"), (2, "b"), (3, "c")).Concat(entries).ToList());
        Assert.Equal(5ul, ExpectMsg<MvccProtocol.Applied>(Wait).Index); // nothing re-applied, nothing announced
        Assert.False(again.Task.IsCompleted);
        Waits.Forget(400);

        mvcc.Tell(new MvccProtocol.GetMembers(TestActor));
        var after = ExpectMsg<MvccProtocol.MembersChanged>(Wait);
        Assert.Equal(before.Members, after.Members);
        Assert.Equal([3ul], after.Removed);
        Assert.Equal("alpha", after.Members[0].Name);
    }

    [Fact]
    public async Task ListMembers_serves_the_applied_table_with_etcds_header()
    {
        var mvcc = Bootstrapped();
        Apply(mvcc, [MvccEntries.Put(4, "k", "v"), MvccEntries.Put(5, "k", "w")], term: 7);
        ExpectMsg<MvccProtocol.Applied>(Wait);
        var tcs = new TaskCompletionSource<MemberListing>(TaskCreationOptions.RunContinuationsAsynchronously);
        mvcc.Tell(new MvccProtocol.ListMembers(tcs));
        var list = await tcs.Task.WaitAsync(Wait);
        Assert.Equal((0xCCul, 0xAAul, 3L, 7ul), (list.Header.ClusterId, list.Header.MemberId, list.Header.Revision, list.Header.RaftTerm));
        Assert.Equal([1ul, 2ul, 3ul], list.Members.Select(m => m.Id));
        Assert.All(list.Members, m => Assert.False(m.IsLearner));
    }
}
