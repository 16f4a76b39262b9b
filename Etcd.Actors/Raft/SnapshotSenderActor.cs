using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using Etcd.Actors.Mvcc;
using Etcd.Api.Etcdserverpb;
using Etcd.Api.Raftpb;
using Google.Protobuf;

namespace Etcd.Actors.Raft;

/// <summary>
/// Streams one snapshot to one follower: asks MvccStoreActor for a consistent copy of the backend (at least
/// at the snapshot's index), then sends it as <see cref="SnapshotChunk"/>s of SnapshotChunkBytes with at
/// most SnapshotWindow chunks unacknowledged (so one follower's transfer neither floods the connection nor
/// holds heartbeats behind megabytes), the last one carrying the MsgSnap and the file's SHA-256. Reports the
/// outcome to RaftActor exactly once and removes its file when it stops.
/// </summary>
public sealed class SnapshotSenderActor : ReceiveActor, IWithTimers
{
    private const string TimeoutKey = "ack-timeout";

    private readonly RaftSettings _settings;
    private readonly ulong _memberId;
    private readonly ulong _clusterId;
    private readonly Message _snap;
    private readonly IActorRef _peer;
    private readonly IActorRef _raft;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _path;
    private readonly ulong _transferId = (ulong)Random.Shared.NextInt64();
    private FileStream? _file;
    private byte[] _sha256 = [];
    private long _total;
    private long _sent;
    private long _acked;
    private bool _reported;
    private bool _lastSent;

    public ITimerScheduler Timers { get; set; } = null!;

    public SnapshotSenderActor(RaftSettings settings, ulong memberId, ulong clusterId, Message snap, IActorRef peer, IActorRef mvcc, IActorRef raft)
    {
        _settings = settings;
        _memberId = memberId;
        _clusterId = clusterId;
        _snap = snap;
        _peer = peer;
        _raft = raft;
        var dir = settings.SnapshotDirFor(memberId);
        Directory.CreateDirectory(dir);
        _path = Path.Combine(dir, $"out-{snap.To:x16}-{snap.Snapshot.Metadata.Index}-{_transferId:x16}.db");
        mvcc.Tell(new MvccProtocol.CreateSnapshot(_path));

        Receive<MvccProtocol.SnapshotCreated>(OnCreated);
        Receive<MvccProtocol.SnapshotFailed>(f => Fail($"the backend could not be copied: {f.Reason}"));
        // Acks reach us only through our RaftActor (which checked the envelope) and LeaderDutiesActor: a C# record,
        // so nothing sent to this path from the network is taken (a forged failed ack would abort the transfer).
        Receive<SnapshotProtocol.Ack>(a => a.From == _snap.To, a => OnAck(a.Value));
        Receive<Timeout>(_ => Fail("no acknowledgement within " + _settings.SnapshotAckTimeout));
    }

    public static Props Props(RaftSettings settings, ulong memberId, ulong clusterId, Message snap, IActorRef peer, IActorRef mvcc, IActorRef raft) =>
        Akka.Actor.Props.Create(() => new SnapshotSenderActor(settings, memberId, clusterId, snap, peer, mvcc, raft));

    private sealed class Timeout
    {
        public static readonly Timeout Instance = new();
    }

    protected override void PreStart() =>
        // Copying a large backend takes a while (it runs beside the store's work): a generous bound of its own.
        Timers.StartSingleTimer(TimeoutKey, Timeout.Instance, _settings.SnapshotCreateTimeout);

    private void OnCreated(MvccProtocol.SnapshotCreated c)
    {
        var index = _snap.Snapshot.Metadata.Index;
        if (c.ConsistentIndex < index)
        {
            Fail($"the backend copy is at {c.ConsistentIndex}, behind the snapshot index {index}");
            return;
        }
        using (var hashing = File.OpenRead(_path)) _sha256 = SHA256.HashData(hashing);
        _file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        _total = _file.Length;
        _log.Info("raft {0:x16}: streaming a {1}-byte snapshot (backend at {2}) to {3:x16}", _memberId, _total, c.ConsistentIndex, _snap.To);
        Pump();
    }

    private void OnAck(SnapshotChunkAck ack)
    {
        if (ack.TransferId != _transferId) return;
        if (ack.Failed)
        {
            Fail($"the follower gave up: {ack.Reason}");
            return;
        }
        _acked = Math.Max(_acked, (long)ack.Received);
        // The follower acknowledges the last chunk only once the whole file is verified and on its disk.
        if (_lastSent && _acked >= _total)
        {
            _log.Info("raft {0:x16}: snapshot at index {1} delivered to {2:x16}", _memberId, _snap.Snapshot.Metadata.Index, _snap.To);
            Report(true);
            Context.Stop(Self);
            return;
        }
        Pump();
    }

    /// <summary>Sends chunks while the window allows; every chunk (even an empty file's only one) is acknowledged.</summary>
    private void Pump()
    {
        var file = _file!;
        var window = (long)_settings.SnapshotWindow * _settings.SnapshotChunkBytes;
        var buffer = new byte[_settings.SnapshotChunkBytes];
        while (!_lastSent && _sent - _acked < window)
        {
            file.Position = _sent;
            var n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, _total - _sent));
            var last = _sent + n >= _total;
            var chunk = new SnapshotChunk
            {
                TransferId = _transferId,
                From = _memberId,
                Offset = (ulong)_sent,
                Data = ByteString.CopyFrom(buffer, 0, n),
                Last = last,
                TotalSize = (ulong)_total,
            };
            if (last)
            {
                chunk.Sha256 = ByteString.CopyFrom(_sha256);
                chunk.Snap = _snap;
                _lastSent = true;
            }
            _peer.Tell(new PeerEnvelope { ClusterId = _clusterId, To = _snap.To, From = _memberId, Chunk = chunk }, Self);
            _sent += n;
        }
        Timers.StartSingleTimer(TimeoutKey, Timeout.Instance, _settings.SnapshotAckTimeout);
    }


    private void Fail(string reason)
    {
        _log.Warning("raft {0:x16}: snapshot transfer to {1:x16} failed: {2}", _memberId, _snap.To, reason);
        Report(false);
        Context.Stop(Self);
    }

    private void Report(bool ok)
    {
        if (_reported) return;
        _reported = true;
        var report = new SnapshotProtocol.Report(_snap.To, ok);
        _raft.Tell(report);
        Context.Parent.Tell(report);
    }

    protected override void PostStop()
    {
        Report(false);
        _file?.Dispose();
        DurableFiles.TryDeleteSqlite(_path);
    }
}
