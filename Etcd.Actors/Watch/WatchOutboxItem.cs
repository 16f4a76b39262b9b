using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Watch;

/// <summary>
/// One response queued for the gRPC stream. <paramref name="Fragment"/>: its watcher accepts fragments;
/// <paramref name="Counted"/>: it holds room in the bounded part of the queue (<paramref name="Bytes"/>, about);
/// <paramref name="Permits"/>: the requests it answers (one, or every RequestProgress it answers at once), whose permits
/// are given back once it is read.
/// </summary>
public readonly record struct WatchOutboxItem(WatchResponse Response, bool Fragment, bool Counted, long Bytes, int Permits);
