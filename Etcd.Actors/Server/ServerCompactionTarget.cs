using Etcd.Actors.Compactor;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Server;

/// <summary>
/// The compactor's view of the member: the revision from Status (answered by the store from its applied state),
/// compaction through <see cref="EtcdServer.CompactForMemberAsync"/> (a proposal, as etcd's compactor calls
/// EtcdServer.Compact), leadership from <see cref="MemberStatus"/>.
/// </summary>
internal sealed class ServerCompactionTarget(EtcdServer server, MemberStatus status) : ICompactionTarget
{
    public bool IsLeader => status.Leader == server.MemberId;

    public async Task<long> CurrentRevisionAsync(CancellationToken ct) =>
        (await server.StatusAsync(ct).ConfigureAwait(false)).Header.Revision;

    public Task CompactAsync(long revision, CancellationToken ct) =>
        server.CompactForMemberAsync(new CompactionRequest { Revision = revision }, ct);
}
