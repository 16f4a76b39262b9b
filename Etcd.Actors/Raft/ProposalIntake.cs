using Etcd.Actors.Wait;
using Etcd.Actors.Apply;
using Etcd.Actors.Errors;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// Proposals crossing between members, without Akka: a ForwardedProposals unpacked into the proposals RaftActor
/// holds, the leader's check of each (the gRPC edge's checks again, so an entry that skipped them, from an older or
/// misbehaving member, never enters the log), and refusals grouped into one ProposalsRefused per origin.
/// </summary>
internal static class ProposalIntake
{
    /// <summary>The proposals of <paramref name="f"/> (arrived at <paramref name="now"/>, passed on <paramref name="hops"/> times).</summary>
    public static List<PendingProposal> Unpack(ForwardedProposals f, ulong self, long now, int hops)
    {
        var n = Math.Min(f.Ids.Count, f.Data.Count);
        var origin = f.From == self ? 0 : f.From;
        var pending = new List<PendingProposal>(n);
        for (var i = 0; i < n; i++) pending.Add(new PendingProposal(f.Ids[i], f.Data[i], origin, now, hops));
        return pending;
    }

    /// <summary>
    /// etcd's error for a forwarded proposal the edge would have refused (<see cref="RequestValidator.ValidateProposal"/>,
    /// the size limit, its waiter id), or null when it may enter the log. <paramref name="self"/> is this member: a
    /// proposal of its own that comes back to it (its leader stepped down or handed leadership to it) has origin 0.
    /// </summary>
    public static EtcdError? Validate(PendingProposal p, ulong self, int maxRequestBytes, int maxTxnOps)
    {
        if (p.Data.Length > maxRequestBytes) return EtcdErrors.RequestTooLarge;
        InternalRaftRequest request;
        try
        {
            request = InternalRaftRequest.Parser.ParseFrom(p.Data);
        }
        catch (InvalidProtocolBufferException)
        {
            return EtcdErrors.NotCapable;
        }
        // The store completes waiters by the id inside the entry: it must be the one the origin registered.
        if (request.ID != p.Id || !WaiterIds.BelongsTo(p.Id, p.Origin == 0 ? self : p.Origin)) return EtcdErrors.NotCapable;
        return RequestValidator.ValidateProposal(request, maxTxnOps);
    }

    /// <summary>
    /// Splits refused proposals into this member's waiters (<paramref name="local"/>, origin 0 or
    /// <paramref name="self"/>) and one ProposalsRefused per other origin, carrying etcd's message.
    /// </summary>
    public static Dictionary<ulong, ProposalsRefused> ByOrigin(IEnumerable<PendingProposal> proposals, ulong self, EtcdError error, List<ulong> local)
    {
        var remote = new Dictionary<ulong, ProposalsRefused>();
        foreach (var p in proposals)
        {
            if (p.Origin == 0 || p.Origin == self)
            {
                local.Add(p.Id);
                continue;
            }
            if (!remote.TryGetValue(p.Origin, out var refused)) remote[p.Origin] = refused = new ProposalsRefused { Error = error.Message };
            refused.Ids.Add(p.Id);
        }
        return remote;
    }
}
