using Etcd.Api.Etcdserverpb;
using Etcd.Api.V3Electionpb;
using V3Lockpb = Etcd.Api.V3Lockpb;

namespace Etcd.Node.Services;

// Services whose features are not built yet. They are registered anyway so that every etcd v3 method
// answers the way etcd's own unimplemented paths do: gRPC status Unimplemented (the generated base
// classes do that), rather than a transport-level 404 that clients report as a confusing error.

/// <summary>v3lockpb.Lock: Unimplemented until the lock service lands.</summary>
public sealed class LockService : V3Lockpb.Lock.LockBase;

/// <summary>v3electionpb.Election: Unimplemented until the election service lands.</summary>
public sealed class ElectionService : Election.ElectionBase;
