using System.Collections.Immutable;

namespace Etcd.Actors.Auth.Core;

/// <summary>A role (authpb.Role): its permissions, sorted by key then range_end.</summary>
public sealed record AuthRole(string Name, ImmutableList<KeyPermission> Permissions)
{
    public static AuthRole Empty(string name) => new(name, ImmutableList<KeyPermission>.Empty);
}
