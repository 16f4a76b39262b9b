using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Etcd.Api.Authpb;
using Google.Protobuf;

namespace Etcd.Actors.Auth.Core;

/// <summary>
/// The auth state to and from rows (<see cref="AuthRow"/>) in etcd's own layout and encoding, so the store can keep it
/// in SQLite next to the keys and a member restarted after a crash finds auth exactly as applied (no re-enable).
/// Decoding checks what it reads and fails loudly: a row it does not know is corruption, not something to skip.
/// </summary>
public static class AuthStateCodec
{
    public const string AuthBucket = "auth";
    public const string UsersBucket = "authUsers";
    public const string RolesBucket = "authRoles";

    private static readonly ByteString EnabledKey = ByteString.CopyFromUtf8("authEnabled");
    private static readonly ByteString RevisionKey = ByteString.CopyFromUtf8("authRevision");

    public static IReadOnlyList<AuthRow> ToRows(AuthStore store)
    {
        var revision = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(revision, store.Revision);
        var rows = new List<AuthRow>
        {
            new(AuthBucket, EnabledKey, ByteString.CopyFrom((byte)(store.Enabled ? 1 : 0))),
            new(AuthBucket, RevisionKey, ByteString.CopyFrom(revision)),
        };
        rows.AddRange(store.Users.Select(u => new AuthRow(UsersBucket, ByteString.CopyFromUtf8(u.Name), ToProto(u).ToByteString())));
        rows.AddRange(store.Roles.Select(r => new AuthRow(RolesBucket, ByteString.CopyFromUtf8(r.Name), ToProto(r).ToByteString())));
        return rows;
    }

    /// <summary>The store the rows describe; no rows at all is a fresh store (revision 1, disabled).</summary>
    public static AuthStore FromRows(IEnumerable<AuthRow> rows)
    {
        bool? enabled = null;
        ulong? revision = null;
        var users = new List<AuthUser>();
        var roles = new List<AuthRole>();
        foreach (var row in rows)
        {
            switch (row.Bucket)
            {
                case AuthBucket when row.Key.Equals(EnabledKey):
                    if (row.Value.Length != 1 || row.Value[0] > 1) throw Corrupt("authEnabled is not one byte 0 or 1");
                    enabled = row.Value[0] == 1;
                    break;
                case AuthBucket when row.Key.Equals(RevisionKey):
                    if (row.Value.Length != 8) throw Corrupt("authRevision is not 8 bytes");
                    revision = BinaryPrimitives.ReadUInt64BigEndian(row.Value.Span);
                    break;
                case UsersBucket:
                    var user = FromProto(User.Parser.ParseFrom(row.Value));
                    if (user.Name != Utf8(row.Key)) throw Corrupt($"user row '{Utf8(row.Key)}' holds user '{user.Name}'");
                    users.Add(user);
                    break;
                case RolesBucket:
                    var role = FromProto(Role.Parser.ParseFrom(row.Value));
                    if (role.Name != Utf8(row.Key)) throw Corrupt($"role row '{Utf8(row.Key)}' holds role '{role.Name}'");
                    roles.Add(role);
                    break;
                default:
                    throw Corrupt($"unknown row {row.Bucket}/{Utf8(row.Key)}");
            }
        }
        if (enabled is null && revision is null && users.Count == 0 && roles.Count == 0) return new AuthStore();
        if (enabled is null || revision is null) throw Corrupt("authEnabled or authRevision is missing");
        return new AuthStore(enabled.Value, revision.Value, users, roles);
    }

    public static User ToProto(AuthUser u)
    {
        var user = new User
        {
            Name = ByteString.CopyFromUtf8(u.Name),
            Password = ByteString.CopyFromUtf8(u.PasswordHash),
            Options = new UserAddOptions { NoPassword = u.NoPassword },
        };
        user.Roles.AddRange(u.Roles);
        return user;
    }

    public static AuthUser FromProto(User u) => new(
        Utf8(u.Name),
        Utf8(u.Password),
        u.Roles.ToImmutableSortedSet(StringComparer.Ordinal),
        u.Options?.NoPassword ?? false);

    public static Role ToProto(AuthRole r)
    {
        var role = new Role { Name = ByteString.CopyFromUtf8(r.Name) };
        role.KeyPermission.AddRange(r.Permissions.Select(p => new Permission
        {
            PermType = (Permission.Types.Type)(int)p.Type,
            Key = p.Key,
            RangeEnd = p.RangeEnd,
        }));
        return role;
    }

    public static AuthRole FromProto(Role r) => new(
        Utf8(r.Name),
        r.KeyPermission.Select(p => new KeyPermission((PermissionType)(int)p.PermType, p.Key, p.RangeEnd)).ToImmutableList());

    private static string Utf8(ByteString bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static InvalidOperationException Corrupt(string what) => new($"auth: persisted auth state is corrupt: {what}");
}
