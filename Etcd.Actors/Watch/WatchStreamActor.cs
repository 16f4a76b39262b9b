using Akka.Actor;
using Etcd.Actors.Watch.Core;
using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Watch;

/// <summary>
/// One gRPC Watch call (etcd's serverWatchStream recvLoop plus mvcc's watchStream): its watchers by watch id,
/// client-chosen or generated (etcd 3.4's: the lowest free id from 0 on), and the requests of its client. It
/// checks a create as etcd does, then hands the watcher to the hub, which answers (created first, then events).
/// Stopped when the call ends; its watchers go with it.
/// </summary>
public sealed class WatchStreamActor : ReceiveActor
{
    private readonly IActorRef _hub;
    private readonly WatchOutbox _outbox;
    private readonly Dictionary<long, Watcher> _watchers = new();
    private long _nextId;

    public WatchStreamActor(IActorRef hub, WatchOutbox outbox)
    {
        _hub = hub;
        _outbox = outbox;
        Receive<WatchProtocol.StreamRequest>(m => Handle(m.Request));
        // Through the hub like the other refusals, so it is answered after the requests before it.
        Receive<WatchProtocol.DeniedCreate>(m => _hub.Tell(new WatchProtocol.RefuseCreate(_outbox, m.Reason)));
        Receive<WatchProtocol.WatcherEnded>(m =>
        {
            if (_watchers.TryGetValue(m.Watcher.WatchId, out var w) && ReferenceEquals(w, m.Watcher)) _watchers.Remove(w.WatchId);
        });
    }

    public static Props Props(IActorRef hub, WatchOutbox outbox) => Akka.Actor.Props.Create(() => new WatchStreamActor(hub, outbox));

    protected override void PostStop()
    {
        if (_watchers.Count > 0) _hub.Tell(new WatchProtocol.CloseStream(_watchers.Values.ToList()));
        _watchers.Clear();
        _outbox.Close();
    }

    private void Handle(WatchRequest request)
    {
        switch (request.RequestUnionCase)
        {
            case WatchRequest.RequestUnionOneofCase.CreateRequest:
                Create(request.CreateRequest);
                break;
            case WatchRequest.RequestUnionOneofCase.CancelRequest:
                if (_watchers.Remove(request.CancelRequest.WatchId, out var w)) _hub.Tell(new WatchProtocol.CancelWatcher(w));
                else _outbox.ReleasePermit(); // etcd answers nothing for an id it does not know
                break;
            case WatchRequest.RequestUnionOneofCase.ProgressRequest:
                // Its permit is given back when its answer is read (WatchOutbox.TrySendProgress), so a client that asks
                // for progress without reading stops being read, as for any other request.
                _hub.Tell(new WatchProtocol.RequestProgress(_outbox));
                break;
            default:
                _outbox.ReleasePermit(); // etcd ignores what it does not know
                break;
        }
    }

    private void Create(WatchCreateRequest c)
    {
        // etcd's mvcc.watchStream.Watch: the range first, then the id.
        if (KeyRange.FromRequest(c.Key, c.RangeEnd) is not { } range)
        {
            _hub.Tell(new WatchProtocol.RefuseCreate(_outbox, EmptyRange));
            return;
        }
        long id;
        if (c.WatchId == AutoWatchId)
        {
            while (_watchers.ContainsKey(_nextId)) _nextId++;
            id = _nextId++;
        }
        else if (_watchers.ContainsKey(c.WatchId))
        {
            _hub.Tell(new WatchProtocol.RefuseCreate(_outbox, DuplicateId));
            return;
        }
        else id = c.WatchId;

        var filters = WatchFilters.None;
        foreach (var f in c.Filters)
        {
            if (f == WatchCreateRequest.Types.FilterType.Noput) filters |= WatchFilters.NoPut;
            else if (f == WatchCreateRequest.Types.FilterType.Nodelete) filters |= WatchFilters.NoDelete;
        }
        var w = new Watcher(id, range, c.StartRevision, filters, c.PrevKv, c.ProgressNotify, c.Fragment, _outbox);
        _watchers[id] = w;
        _hub.Tell(new WatchProtocol.AddWatcher(w));
    }

    /// <summary>etcd's mvcc.AutoWatchID: the client leaves the id to the server.</summary>
    private const long AutoWatchId = 0;

    // etcd 3.4's mvcc errors, sent as cancel_reason.
    private const string EmptyRange = "mvcc: watcher range is empty";
    private const string DuplicateId = "mvcc: duplicate watch ID provided on the WatchStream";
}
