using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;
using static Etcd.Specs.Mvcc.Kv;

namespace Etcd.Specs.Mvcc;

/// <summary>Raft entries and reads for the MvccStoreActor specs.</summary>
internal static class MvccEntries
{
    public static Entry Conf(ulong index, ConfChangeType type, ulong node, ulong waiter = 0, string name = "", params string[] peers)
    {
        var cc = new ConfChange { Type = type, NodeId = node, Id = waiter };
        if (type != ConfChangeType.ConfChangeRemoveNode)
        {
            var m = new Member { ID = node, Name = name };
            m.PeerURLs.AddRange(peers);
            cc.Context = m.ToByteString();
        }
        return new Entry { Index = index, Term = 2, Type = EntryType.EntryConfChange, Data = cc.ToByteString() };
    }

    /// <summary>A new cluster's first entries: one AddNode per initial member (names from --initial-cluster).</summary>
    public static List<Entry> Bootstrap(params (ulong Id, string Name)[] members) =>
        members.Select((m, i) => Conf((ulong)i + 1, ConfChangeType.ConfChangeAddNode, m.Id, 0, m.Name, $"http://10.0.0.{m.Id}:2380")).ToList();

    public static Entry Normal(ulong index, ulong waiter, InternalRaftRequest request)
    {
        request.ID = waiter;
        return new Entry { Index = index, Term = 2, Type = EntryType.EntryNormal, Data = request.ToByteString() };
    }

    public static Entry Put(ulong index, string key, string value, ulong waiter = 0) =>
        Normal(index, waiter, new InternalRaftRequest { Put = new PutRequest { Key = B(key), Value = B(value) } });

    public static Entry AttrSet(ulong index, ulong waiter, ulong member, string name, params string[] clientUrls)
    {
        var a = new ClusterMemberAttrSetRequest { MemberID = member, Name = name };
        a.ClientUrls.AddRange(clientUrls);
        return Normal(index, waiter, new InternalRaftRequest { ClusterMemberAttrSet = a });
    }

    public static MvccProtocol.ReadCommand Read(IMessage request) =>
        new(request, new TaskCompletionSource<IMessage>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Every key, at <paramref name="rev"/> (0 = current).</summary>
    public static RangeRequest All(long rev = 0) => new() { Key = ByteString.CopyFrom(0), RangeEnd = ByteString.CopyFrom(0), Revision = rev };
}
