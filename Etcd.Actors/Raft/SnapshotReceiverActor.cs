using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;

namespace Etcd.Actors.Raft;

/// <summary>
/// Receives one snapshot transfer into a file under the member's snap directory: chunks must arrive in order
/// (a gap ends the transfer; the leader starts over), the size and SHA-256 must match, and the file is fsync'd
/// before RaftActor hears of it; every chunk names the sender of the first, and the last one's MsgSnap must be
/// that sender's, to this member (<see cref="SnapshotChunkCheck"/>). Takes only chunks RaftActor checked (<see cref="SnapshotProtocol.Chunk"/>). Acknowledges every chunk to the sender member's gateway (flow control), the last one only
/// after verification. Gives up after SnapshotAckTimeout without a chunk, removing the partial file.
/// </summary>
public sealed class SnapshotReceiverActor : ReceiveActor, IWithTimers
{
    private const string TimeoutKey = "chunk-timeout";

    private readonly RaftSettings _settings;
    private readonly ulong _memberId;
    private readonly ulong _clusterId;
    private ulong _leader;
    private readonly ulong _transferId;
    private readonly string _path;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private FileStream? _file;
    private long _received;
    private bool _done;

    public ITimerScheduler Timers { get; set; } = null!;

    public SnapshotReceiverActor(RaftSettings settings, ulong memberId, ulong clusterId, string dir, ulong transferId)
    {
        _settings = settings;
        _memberId = memberId;
        _clusterId = clusterId;
        _transferId = transferId;
        Directory.CreateDirectory(dir);
        _path = Path.Combine(dir, $"in-{transferId:x16}.db");
        // Only chunks RaftActor checked and wrapped (SnapshotProtocol.Chunk); a bare SnapshotChunk sent to this
        // path from the network is ignored.
        Receive<SnapshotProtocol.Chunk>(OnChunk);
        Receive<Timeout>(_ => GiveUp(null, "no chunk within " + _settings.SnapshotAckTimeout));
    }

    public static Props Props(RaftSettings settings, ulong memberId, ulong clusterId, string dir, ulong transferId) =>
        Akka.Actor.Props.Create(() => new SnapshotReceiverActor(settings, memberId, clusterId, dir, transferId));

    private sealed class Timeout
    {
        public static readonly Timeout Instance = new();
    }

    protected override void PreStart() => Timers.StartSingleTimer(TimeoutKey, Timeout.Instance, _settings.SnapshotAckTimeout);

    private void OnChunk(SnapshotProtocol.Chunk wrapped)
    {
        var c = wrapped.Value;
        var replyTo = wrapped.ReplyTo;
        if (c.TransferId != _transferId || _done) return;
        // The first chunk names the transfer's sender; a chunk naming another is not part of it (SnapshotChunkCheck).
        if (_leader == 0) _leader = c.From;
        else if (!SnapshotChunkCheck.SameSender(c, _leader)) return;
        if ((long)c.Offset != _received)
        {
            GiveUp(replyTo, $"expected offset {_received}, got {c.Offset}");
            return;
        }
        if (c.TotalSize > (ulong)_settings.MaxSnapshotBytes || _received + c.Data.Length > (long)c.TotalSize)
        {
            GiveUp(replyTo, $"snapshot of {c.TotalSize} bytes is larger than allowed or than announced");
            return;
        }
        _file ??= new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024);
        var span = c.Data.Span;
        _file.Write(span);
        _hash.AppendData(span);
        _received += c.Data.Length;
        Timers.StartSingleTimer(TimeoutKey, Timeout.Instance, _settings.SnapshotAckTimeout);
        if (!c.Last)
        {
            replyTo.Tell(Ack(), Self);
            return;
        }

        if (_received != (long)c.TotalSize)
        {
            GiveUp(replyTo, $"received {_received} of {c.TotalSize} bytes");
            return;
        }
        if (SnapshotChunkCheck.RefuseSnap(c.Snap, _leader, _memberId) is { } refused)
        {
            GiveUp(replyTo, refused);
            return;
        }
        var sha = _hash.GetHashAndReset();
        if (!c.Sha256.Span.SequenceEqual(sha))
        {
            GiveUp(replyTo, "checksum mismatch");
            return;
        }
        // Durable before anyone relies on it: the install renames this file over the backend.
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _file = null;
        _done = true;
        _log.Info("raft {0:x16}: received a {1}-byte snapshot at index {2} from {3:x16}", _memberId, _received, c.Snap!.Snapshot.Metadata.Index, c.From);
        Context.Parent.Tell(new SnapshotProtocol.Received(_transferId, _path, c.Snap!));
        replyTo.Tell(Ack(), Self);
        Context.Stop(Self);
    }

    private PeerEnvelope Ack() => Envelope(new SnapshotChunkAck { TransferId = _transferId, From = _memberId, Received = (ulong)_received });

    /// <summary>Acks go to the leader's gateway; its RaftActor checks this envelope and hands the ack to its sender actor.</summary>
    private PeerEnvelope Envelope(SnapshotChunkAck ack) => new() { ClusterId = _clusterId, To = _leader, From = _memberId, ChunkAck = ack };

    private void GiveUp(IActorRef? sender, string reason)
    {
        sender?.Tell(Envelope(new SnapshotChunkAck { TransferId = _transferId, From = _memberId, Received = (ulong)_received, Failed = true, Reason = reason }), Self);
        Context.Parent.Tell(new SnapshotProtocol.ReceiveFailed(_transferId, reason));
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _hash.Dispose();
        _file?.Dispose();
        if (!_done) Mvcc.DurableFiles.TryDeleteSqlite(_path);
    }
}
