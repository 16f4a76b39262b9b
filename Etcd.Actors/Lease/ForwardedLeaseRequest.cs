using Etcd.Api.Etcdserverpb;

namespace Etcd.Actors.Lease;

/// <summary>A keep-alive or TTL query a current member forwarded to this (leading) member's lease manager.</summary>
internal sealed record ForwardedLeaseRequest(ulong From, LeaseForward Forward);
