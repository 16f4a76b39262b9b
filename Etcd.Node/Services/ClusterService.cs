using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Grpc.Core;

namespace Etcd.Node.Services;

/// <summary>
/// etcdserverpb.Cluster: MemberList answers with this single member, from the settings (what `etcdctl member
/// list` and clients' endpoint discovery need). The header carries the cluster and member IDs only; the
/// revision and term are 0 until membership is served by the library. Membership changes answer
/// Unimplemented (base class) until multi-member clusters land.
/// </summary>
public sealed class ClusterService(EtcdServer server) : Cluster.ClusterBase
{
    public override Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        var settings = server.Settings;
        var self = new Member { ID = server.MemberId, Name = settings.Name };
        self.PeerURLs.AddRange(settings.AdvertisePeerUrls);
        self.ClientURLs.AddRange(settings.AdvertiseClientUrls);
        var response = new MemberListResponse
        {
            Header = new ResponseHeader { ClusterId = server.ClusterId, MemberId = server.MemberId },
        };
        response.Members.Add(self);
        return Task.FromResult(response);
    }
}
