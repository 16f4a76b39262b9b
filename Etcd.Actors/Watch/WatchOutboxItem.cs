using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Watch;

/// <summary>
/// One response queued for the gRPC stream. <paramref name="Fragment"/>: its watcher accepts fragments;
/// <paramref name="Counted"/>: it holds room in the bounded part of the queue (<paramref name="Bytes"/>, about);
/// <paramref name="Permit"/>: it answers a request, whose permit is given back once it is read.
/// </summary>
public readonly record struct WatchOutboxItem(WatchResponse Response, bool Fragment, bool Counted, long Bytes, bool Permit);
