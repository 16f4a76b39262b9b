using Akka.Actor;
using Etcd.Actors.Errors;
using Etcd.Actors.Watch;

namespace Etcd.Actors.Server;

/// <summary>The Watch RPC's door: one <see cref="WatchSession"/> per gRPC call, served by this member's watch hub.</summary>
public sealed partial class EtcdServer
{
    /// <summary>etcd's limit for fragmenting watch responses: --max-request-bytes plus gRPC's overhead (v3rpc grpcOverheadBytes).</summary>
    private const int WatchGrpcOverheadBytes = 512 * 1024;

    /// <summary>
    /// Opens a watch stream on this member. Watches are served from this member's own applied state, on the leader
    /// or a follower (etcd does too): a watcher sees exactly the committed history, in order. A learner refuses every
    /// stream RPC, as etcd 3.4's stream interceptor does ("learner does not support stream RPC").
    /// </summary>
    /// <param name="token">The client's auth token: each create is checked for read permission on its range.</param>
    public async Task<WatchSession> OpenWatchAsync(CancellationToken ct = default, string? token = null)
    {
        ThrowIfStopped();
        ThrowIfLearner();
        var hub = _refs.Watch ?? throw EtcdErrors.Stopped.ToException();
        var status = _refs.Status;
        var outbox = new WatchOutbox(ClusterId, MemberId, () => status.Term);
        var opened = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Tell(new WatchProtocol.OpenStream(outbox, opened));
        var stream = await WithTimeout(opened.Task, ct).ConfigureAwait(false);
        return new WatchSession(stream, outbox, (int)Math.Min((long)Settings.MaxRequestBytes + WatchGrpcOverheadBytes, int.MaxValue), () => _stopped,
            (c, t) => IsWatchPermittedAsync(token, c, t));
    }
}
