using Etcd.Actors.Cluster.Core;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// etcd's responses built from the domain records the actors answer with (as etcd's v3rpc builds them from the
/// server's state): actor protocols carry no gRPC response messages.
/// </summary>
internal static class ApiResponses
{
    public static StatusResponse Status(StatusReport s)
    {
        var response = new StatusResponse
        {
            Header = Header(s.Header),
        Version = s.Version,
        DbSize = s.DbSize,
        DbSizeInUse = s.DbSizeInUse,
        Leader = s.Leader,
        RaftIndex = s.RaftIndex,
        RaftTerm = s.RaftTerm,
        RaftAppliedIndex = s.RaftAppliedIndex,
        IsLearner = s.IsLearner,
        };
        response.Errors.AddRange(s.Errors);
        return response;
    }

    public static MemberListResponse MemberList(MemberListing listing)
    {
        var response = new MemberListResponse { Header = Header(listing.Header) };
        foreach (var m in listing.Members) response.Members.Add(MemberTable.ToProto(m));
        return response;
    }

    public static HashKVResponse HashKv(HashReport r) =>
        new() { Header = Header(r.Header), Hash = r.Hash, CompactRevision = r.CompactRevision };

    public static HashResponse Hash(HashReport r) => new() { Header = Header(r.Header), Hash = r.Hash };

    private static ResponseHeader Header(ReplyHeader h) => new()
    {
        ClusterId = h.ClusterId,
        MemberId = h.MemberId,
        Revision = h.Revision,
        RaftTerm = h.RaftTerm,
    };
}
