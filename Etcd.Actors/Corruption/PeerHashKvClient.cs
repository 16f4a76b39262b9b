using Akka.Actor;
using Etcd.Actors.Corruption.Core;
using Etcd.Actors.Raft;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Corruption;

/// <summary>
/// Asks peers for their HashKV at a revision (etcd: GET /members/hashkv on each peer URL). Here the question
/// is a <see cref="PeerHashKVRequest"/> to the peer's gateway over Akka.Remote, answered by its store, rather
/// than gRPC HashKV on its client URL: the peer port is the channel members already trust each other on, it
/// is known from the member table before the peer has published client URLs (the initial check runs before
/// that), and client URLs may be bound to an interface other members cannot reach (or need client TLS or
/// auth later). Every peer is asked at once; one that does not answer within the timeout is reported with
/// an error and skipped by the verdict, as etcd skips an unreachable peer.
/// </summary>
public static class PeerHashKvClient
{
    public static async Task<IReadOnlyList<PeerHashKv>> AskAsync(ActorSystem system, ulong self, ulong clusterId,
        IEnumerable<(ulong Id, IReadOnlyList<string> PeerUrls)> members, long revision, TimeSpan timeout, CancellationToken ct)
    {
        var protocol = ((ExtendedActorSystem)system).Provider.DefaultAddress.Protocol;
        var asks = members.Where(m => m.Id != self && m.PeerUrls.Count > 0)
            .Select(m => AskOneAsync(system, protocol, clusterId, m.Id, m.PeerUrls, revision, timeout, ct)).ToList();
        return await Task.WhenAll(asks).ConfigureAwait(false);
    }

    private static async Task<PeerHashKv> AskOneAsync(ActorSystem system, string protocol, ulong clusterId, ulong id, IReadOnlyList<string> urls,
        long revision, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var answer = await system.ActorSelection(PeerDirectory.RaftActorPath(urls[0], protocol))
                .Ask<PeerHashKVResponse>(new PeerHashKVRequest { Revision = revision }, timeout, ct).ConfigureAwait(false);
            if (answer.Response is { } r)
            {
                // The answer comes to a temporary actor any process on the peer port could write to: only a hash that
                // names our cluster and the member asked counts (a forged one could raise CORRUPT or refuse a start).
                if (r.Header is null || r.Header.ClusterId != clusterId || r.Header.MemberId != id)
                    return new PeerHashKv(id, urls, null, $"answer names cluster {r.Header?.ClusterId:x} member {r.Header?.MemberId:x}, not the one asked");
                return new PeerHashKv(id, urls, new HashKvSample(r.Hash, r.Header.Revision, r.CompactRevision), null);
            }
            return new PeerHashKv(id, urls, null, answer.Error);
        }
        catch (AskTimeoutException)
        {
            return new PeerHashKv(id, urls, null, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else sent to the temporary actor (a Status.Failure, another type) is no answer either.
            return new PeerHashKv(id, urls, null, $"no usable answer: {e.GetType().Name}");
        }
    }
}
