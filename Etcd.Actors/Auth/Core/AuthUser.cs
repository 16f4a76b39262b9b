using System.Collections.Immutable;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// A user as etcd keeps it (authpb.User): the bcrypt hash of its password (never the password), its roles sorted
/// byte-wise as etcd keeps them (sort.Strings), and whether it was added with <c>--no-password</c> (it then
/// authenticates only by its TLS certificate's CN).
/// </summary>
public sealed record AuthUser(string Name, string PasswordHash, ImmutableSortedSet<string> Roles, bool NoPassword)
{
    public bool HasRootRole => Roles.Contains(AuthStore.RootRole);

    /// <summary>Roles in etcd's order: Go's sort.Strings, i.e. byte-wise (ordinal on UTF-16 differs only past U+FFFF).</summary>
    public static ImmutableSortedSet<string> NoRoles { get; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
}
