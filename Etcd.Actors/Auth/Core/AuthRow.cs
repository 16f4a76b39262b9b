using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// One persisted row of the auth state, in etcd's bucket layout (auth/store.go): bucket <c>auth</c> holds
/// <c>authEnabled</c> (one byte, 1 or 0) and <c>authRevision</c> (8 bytes, big-endian); bucket <c>authUsers</c> one
/// marshalled authpb.User per user name; bucket <c>authRoles</c> one authpb.Role per role name.
/// </summary>
public sealed record AuthRow(string Bucket, ByteString Key, ByteString Value);
