using Etcd.Actors.Cluster.Core;
using Etcd.Actors.Errors;
using Etcd.Actors.Raft.Core;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;
using ApiMember = Etcd.Api.Etcdserverpb.Member;

namespace Etcd.Specs.Cluster;

internal static class Cc
{
    public static ApiMember Ctx(ulong id, string name, params string[] peers)
    {
        var m = new ApiMember { ID = id, Name = name };
        m.PeerURLs.AddRange(peers);
        return m;
    }

    public static ConfChange Change(ConfChangeType type, ulong id, ApiMember? ctx = null, ulong waiter = 0) =>
        new() { Type = type, NodeId = id, Id = waiter, Context = ctx?.ToByteString() ?? ByteString.Empty };

    public static MemberApplyResult Add(this MemberTable t, ulong id, string name = "", params string[] peers) =>
        t.Apply(Change(ConfChangeType.ConfChangeAddNode, id), Ctx(id, name, peers));

    public static MemberApplyResult AddLearner(this MemberTable t, ulong id, string name = "", params string[] peers) =>
        t.Apply(Change(ConfChangeType.ConfChangeAddLearnerNode, id), Ctx(id, name, peers));

    public static MemberApplyResult Remove(this MemberTable t, ulong id) =>
        t.Apply(Change(ConfChangeType.ConfChangeRemoveNode, id), null);

    public static MemberApplyResult Update(this MemberTable t, ulong id, params string[] peers) =>
        t.Apply(Change(ConfChangeType.ConfChangeUpdateNode, id), Ctx(id, "", peers));

    public static MemberTable Ok(this MemberApplyResult r)
    {
        Assert.True(r.IsOk, $"refused: {r.Error}");
        return r.Table;
    }

    /// <summary>Three started voters a, b, c (ids 1, 2, 3) as a new cluster's bootstrap entries create them.</summary>
    public static MemberTable Three() =>
        MemberTable.Empty.Add(1, "a", "http://10.0.0.1:2380").Ok()
            .Add(2, "b", "http://10.0.0.2:2380").Ok()
            .Add(3, "c", "http://10.0.0.3:2380").Ok();
}

public sealed class MemberTableSpecs(ITestOutputHelper output)
{
    [Fact]
    public void Bootstrap_add_node_entries_make_voters_with_names_and_peer_urls()
    {
        var t = Cc.Three();
        Assert.Equal([1ul, 2ul, 3ul], t.Members.Select(m => m.Id));
        var b = t.Find(2)!;
        Assert.Equal("b", b.Name);
        Assert.Equal(["http://10.0.0.2:2380"], b.PeerUrls);
        Assert.Empty(b.ClientUrls);
        Assert.False(b.IsLearner);
        Assert.Equal(new ClusterConfig([1, 2, 3]), t.ToConfig());
        Assert.Empty(t.Removed);
    }

    [Fact]
    public void Every_change_type_reports_what_happened()
    {
        var r = Cc.Three().AddLearner(4, "", "http://10.0.0.4:2380");
        Assert.Equal(MemberChange.AddedLearner, r.Change);
        Assert.True(r.Member!.IsLearner);
        Assert.Equal(new ClusterConfig([1, 2, 3], [4]), r.Table.ToConfig());

        var named = r.Table.SetAttributes(4, "d", ["http://10.0.0.4:2379"]);
        // Promotion is an AddNode of a learner: name and URLs stay, whatever the context says.
        var p = named.Apply(Cc.Change(ConfChangeType.ConfChangeAddNode, 4), Cc.Ctx(4, "ignored", "http://elsewhere:1"));
        Assert.Equal(MemberChange.Promoted, p.Change);
        Assert.Equal(new ClusterMember(4, "d", ["http://10.0.0.4:2380"], ["http://10.0.0.4:2379"], false), p.Member);
        Assert.Equal(new ClusterConfig([1, 2, 3, 4]), p.Table.ToConfig());

        var a = p.Table.Add(5, "", "http://10.0.0.5:2380");
        Assert.Equal(MemberChange.Added, a.Change);
        Assert.False(a.Member!.IsLearner);

        var rm = a.Table.Remove(2);
        Assert.Equal(MemberChange.Removed, rm.Change);
        Assert.Equal("b", rm.Member!.Name); // the member as it was
        Assert.Null(rm.Table.Find(2));
        Assert.True(rm.Table.IsRemoved(2));
        Assert.Equal([2ul], rm.Table.Removed);
        Assert.Equal(new ClusterConfig([1, 3, 4, 5]), rm.Table.ToConfig());
    }

    [Fact]
    public void Update_node_replaces_peer_urls_only()
    {
        var t = Cc.Three().SetAttributes(2, "b2", ["http://10.0.0.2:2379"]);
        var r = t.Update(2, "http://10.9.9.2:2380", "http://10.9.9.3:2380");
        Assert.Equal(MemberChange.Updated, r.Change);
        Assert.Equal(new ClusterMember(2, "b2", ["http://10.9.9.2:2380", "http://10.9.9.3:2380"], ["http://10.0.0.2:2379"], false),
            r.Table.Find(2));
        Assert.Equal(t.ToConfig(), r.Table.ToConfig());

        var learner = Cc.Three().AddLearner(4, "", "http://10.0.0.4:2380").Ok().Update(4, "http://10.0.0.44:2380").Ok();
        Assert.True(learner.Find(4)!.IsLearner);
    }

    [Fact]
    public void Refused_changes_name_etcds_error_and_leave_the_table_as_it_was()
    {
        var t = Cc.Three().AddLearner(4, "", "http://10.0.0.4:2380").Ok();
        void Refused(MemberApplyResult r, EtcdError expected)
        {
            Assert.False(r.IsOk);
            Assert.Same(expected, r.Error);
            Assert.Null(r.Change);
            Assert.Same(t, r.Table);
        }
        Refused(t.Add(1, "x", "http://10.0.0.9:2380"), EtcdErrors.MemberExist);        // a present voter
        Refused(t.AddLearner(1, "x", "http://10.0.0.9:2380"), EtcdErrors.MemberExist); // voter as learner
        Refused(t.AddLearner(4, "x", "http://10.0.0.9:2380"), EtcdErrors.MemberExist); // a present learner
        Refused(t.Remove(9), EtcdErrors.MemberNotFound);
        Refused(t.Update(9, "http://10.0.0.9:2380"), EtcdErrors.MemberNotFound);
        Refused(t.Add(0, "x", "http://10.0.0.9:2380"), EtcdErrors.MemberNotFound);
        Refused(t.Remove(0), EtcdErrors.MemberNotFound);

        var removed = t.Remove(4).Ok();
        var again = removed.Remove(4);
        Assert.Same(EtcdErrors.MemberNotFound, again.Error);
        Assert.Same(removed, again.Table);

        var single = MemberTable.Empty.Add(1, "a", "http://10.0.0.1:2380").Ok();
        var last = single.Remove(1);
        Assert.Same(EtcdErrors.MemberNotEnoughStarted, last.Error); // Raft keeps its last voter
        Assert.Same(single, last.Table);
    }

    [Fact]
    public void A_removed_id_that_raft_re_admits_is_followed_and_leaves_the_removed_set()
    {
        // The leader refuses this (MembershipRules), but if two racing proposals slip through, Raft applies it,
        // and the table must agree with Raft's configuration.
        var t = Cc.Three().Remove(3).Ok();
        var back = t.Add(3, "", "http://10.0.0.3:2380").Ok();
        Assert.True(back.Contains(3));
        Assert.False(back.IsRemoved(3));
        Assert.Equal(new ClusterConfig([1, 2, 3]), back.ToConfig());
    }

    [Fact]
    public void Set_attributes_is_etcds_publish_and_ignores_unknown_or_removed_members()
    {
        var t = Cc.Three();
        var named = t.SetAttributes(1, "alpha", ["http://10.0.0.1:2379", "http://10.0.0.1:4001"]);
        Assert.Equal("alpha", named.Find(1)!.Name);
        Assert.Equal(["http://10.0.0.1:2379", "http://10.0.0.1:4001"], named.Find(1)!.ClientUrls);
        Assert.Equal(t.Find(1)!.PeerUrls, named.Find(1)!.PeerUrls);

        Assert.Same(named, named.SetAttributes(1, "alpha", ["http://10.0.0.1:2379", "http://10.0.0.1:4001"])); // no change
        Assert.Same(t, t.SetAttributes(42, "ghost", ["http://x:1"]));
        var removed = t.Remove(2).Ok();
        Assert.Same(removed, removed.SetAttributes(2, "b", ["http://x:1"]));
    }

    [Fact]
    public void Wire_members_round_trip_and_bad_tables_fail_loudly()
    {
        var t = Cc.Three().AddLearner(4, "", "http://10.0.0.4:2380").Ok().SetAttributes(1, "a1", ["http://10.0.0.1:2379"]).Remove(3).Ok();
        var proto = t.ToProto();
        Assert.Equal([1ul, 2ul, 4ul], proto.Select(m => m.ID));
        Assert.True(proto[2].IsLearner);
        Assert.Equal("http://10.0.0.1:2379", proto[0].ClientURLs[0]);
        var back = MemberTable.FromProto(proto, t.Removed);
        Assert.Equal(t.Members, back.Members);
        Assert.Equal(t.Removed, back.Removed);

        var m = new ClusterMember(1, "a", [], [], false);
        Assert.Throws<InvalidOperationException>(() => new MemberTable([m, m], []));
        Assert.Throws<InvalidOperationException>(() => new MemberTable([m with { Id = 0 }], []));
        Assert.Throws<InvalidOperationException>(() => new MemberTable([m], [1]));
    }

    private static readonly int[] Seeds = [1, 2, 3, 42, 20240601];

    [Fact]
    public void Agrees_with_ClusterConfig_on_every_conf_change_of_random_sequences()
    {
        var seeds = Seeds.ToList();
        if (int.TryParse(Environment.GetEnvironmentVariable("MEMBER_TABLE_SEEDS"), out var more))
            seeds.AddRange(Enumerable.Range(1000, more));
        foreach (var seed in seeds)
        {
            output.WriteLine($"seed {seed}");
            RunSequence(seed, steps: 400);
        }
    }

    private static void RunSequence(int seed, int steps)
    {
        var rnd = new Random(seed);
        var table = MemberTable.Empty;
        var config = ClusterConfig.Empty;
        ConfChangeType[] types =
        [
            ConfChangeType.ConfChangeAddNode, ConfChangeType.ConfChangeAddLearnerNode,
            ConfChangeType.ConfChangeRemoveNode, ConfChangeType.ConfChangeUpdateNode,
        ];
        for (var step = 0; step < steps; step++)
        {
            var type = types[rnd.Next(types.Length)];
            var id = (ulong)rnd.Next(0, 7); // a small pool, so adds, promotions and re-adds collide often
            var ctx = type == ConfChangeType.ConfChangeRemoveNode || rnd.Next(10) == 0
                ? null
                : Cc.Ctx(id, rnd.Next(2) == 0 ? "" : $"n{id}", $"http://10.0.{step % 250}.{id}:2380");
            var cc = Cc.Change(type, id, ctx, waiter: (ulong)step);

            var nextConfig = config.Apply(cc);
            var result = table.Apply(cc, ctx);
            var where = $"seed {seed} step {step}: {type} {id} on {config}";
            Assert.True((nextConfig is null) == !result.IsOk, $"{where}: config {(nextConfig is null ? "refused" : "accepted")}, table {result.Error}");
            Assert.True((nextConfig ?? config).Equals(result.Table.ToConfig()), $"{where}: config {nextConfig ?? config}, table {result.Table.ToConfig()}");
            if (result.IsOk && type == ConfChangeType.ConfChangeRemoveNode) Assert.True(result.Table.IsRemoved(id), where);
            foreach (var r in result.Table.Removed) Assert.False(result.Table.Contains(r), where);

            table = result.Table;
            config = nextConfig ?? config;
            if (rnd.Next(5) == 0) table = table.SetAttributes(id, $"pub{step}", [$"http://10.1.0.{id}:2379"]);
        }
    }
}
