using Etcd.Actors.Apply;
using Etcd.Actors.Auth;
using Etcd.Actors.Errors;
using Etcd.Actors.Lease.Core;
using Etcd.Actors.Mvcc;
using Etcd.Actors.Mvcc.Core;
using Etcd.Api.Authpb;
using Etcd.Api.Etcdserverpb;
using Etcd.Specs.Support;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Auth;

/// <summary>
/// Auth through the apply path (Applier.Auth.cs) on a real backend file, as MvccStoreActor drives it: auth entries
/// change the state in log order and it is written with the batch, so a reopened backend (a restart after kill -9, or a
/// snapshot, which is a copy of the file) has the same users, roles, enabled flag and auth revision; writes are checked
/// at apply with the user and auth revision in the entry's header; simple tokens are made at apply.
/// </summary>
public sealed class AuthApplySpecs : IDisposable
{
    private readonly TempDir _dir = new("auth-apply");
    private readonly AuthGate _gate = new(TimeSpan.FromMinutes(5), () => new CountingHasher());
    private SqliteBackend _backend;
    private LeaseTable _leases;
    private KvStore _store;
    private Applier _applier;
    private ulong _index;

    public AuthApplySpecs() => Open();

    private string Path => System.IO.Path.Combine(_dir.Path, "mvcc.db");

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_backend), nameof(_leases), nameof(_store), nameof(_applier))]
    private void Open()
    {
        _backend = SqliteBackend.Open(Path);
        _leases = new LeaseTable(minTtl: 2, _backend.Leases);
        _store = new KvStore(_backend, new StoreLeases(_leases));
        _applier = new Applier(_store, _leases, 0xCC, 0xAA) { Auth = _backend.LoadAuth(), Gate = _gate };
        _index = _store.ConsistentIndex;
    }

    private void Reopen()
    {
        _backend.Dispose();
        Open();
    }

    public void Dispose()
    {
        _backend.Dispose();
        _dir.Dispose();
    }

    /// <summary>One entry as its own batch, staged and committed as MvccStoreActor does.</summary>
    private ApplyResult Apply(InternalRaftRequest r)
    {
        var result = _applier.Apply(r, 2, ++_index);
        if (_leases.IsDirty) _backend.StageLeases(_leases.TakeDirty());
        if (_applier.TakeAuthChanged()) _backend.StageAuth(Actors.Auth.Core.AuthStateCodec.ToRows(_applier.Auth));
        _store.Commit(_index);
        return result;
    }

    private static RequestHeader As(string user, ulong revision) => new() { Username = user, AuthRevision = revision };

    private static readonly RequestHeader Root = new() { Username = "root" };

    private ApplyResult Admin(InternalRaftRequest r)
    {
        r.Header = As("root", _applier.Auth.Revision);
        return Apply(r);
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>root (root role), alice with READWRITE on the prefix /a/, auth enabled.</summary>
    private void SetUp()
    {
        Assert.True(Admin(new() { AuthUserAdd = new() { Name = "root", HashedPassword = "h:rootpw" } }).IsOk);
        Assert.True(Admin(new() { AuthUserGrantRole = new() { User = "root", Role = "root" } }).IsOk);
        Assert.True(Admin(new() { AuthUserAdd = new() { Name = "alice", HashedPassword = "h:apw" } }).IsOk);
        Assert.True(Admin(new() { AuthRoleAdd = new() { Name = "r1" } }).IsOk);
        Assert.True(Admin(new()
        {
            AuthRoleGrantPermission = new() { Name = "r1", Perm = new Permission { PermType = Permission.Types.Type.Readwrite, Key = B("/a/"), RangeEnd = B("/a0") } },
        }).IsOk);
        Assert.True(Admin(new() { AuthUserGrantRole = new() { User = "alice", Role = "r1" } }).IsOk);
        Assert.True(Admin(new() { AuthEnable = new() }).IsOk);
    }

    private ApplyResult Put(RequestHeader? header, string key, long lease = 0) =>
        Apply(new InternalRaftRequest { Header = header, Put = new PutRequest { Key = B(key), Value = B("v"), Lease = lease } });

    [Fact]
    public void Users_roles_the_enabled_flag_and_the_auth_revision_survive_a_reopen_of_the_backend()
    {
        SetUp();
        var revision = _applier.Auth.Revision;
        Reopen();
        Assert.True(_applier.Auth.Enabled);
        Assert.Equal(revision, _applier.Auth.Revision);
        Assert.Equal(["alice", "root"], _applier.Auth.UserList());
        Assert.Equal(["r1"], _applier.Auth.RoleList());
        Assert.Equal("h:apw", _applier.Auth.FindUser("alice")!.PasswordHash);
        // And it still decides: alice may write under /a/ and nowhere else.
        Assert.True(Put(As("alice", revision), "/a/1").IsOk);
        Assert.Equal(EtcdErrors.PermissionDenied, Put(As("alice", revision), "x").Error);
    }

    [Fact]
    public void A_batch_that_is_not_committed_leaves_the_auth_state_as_it_was()
    {
        SetUp();
        var revision = _applier.Auth.Revision;
        // Applied but never committed (the process died before the batch's transaction): a restart does not have it.
        Assert.True(_applier.Apply(new InternalRaftRequest { Header = Root, AuthRoleAdd = new() { Name = "lost" } }, 2, _index + 1).IsOk);
        _backend.StageAuth(Actors.Auth.Core.AuthStateCodec.ToRows(_applier.Auth));
        Reopen();
        Assert.Equal(revision, _applier.Auth.Revision);
        Assert.Equal(["r1"], _applier.Auth.RoleList());
    }

    [Fact]
    public void A_write_checked_at_an_older_auth_revision_is_refused_so_a_revoked_permission_wins()
    {
        SetUp();
        var before = _applier.Auth.Revision;
        Assert.True(Put(As("alice", before), "/a/1").IsOk);
        // The permission is revoked between alice's token check at the edge and the apply of her put.
        Assert.True(Admin(new() { AuthRoleRevokePermission = new() { Role = "r1", Key = B("/a/"), RangeEnd = B("/a0") } }).IsOk);
        var rev = _store.CurrentRevision;
        Assert.Equal(EtcdErrors.AuthOldRevision, Put(As("alice", before), "/a/2").Error);
        Assert.Equal(EtcdErrors.PermissionDenied, Put(As("alice", _applier.Auth.Revision), "/a/2").Error);
        Assert.Equal(rev, _store.CurrentRevision);
    }

    [Fact]
    public void A_client_write_without_a_user_is_refused_while_a_members_own_proposal_is_not_checked()
    {
        SetUp();
        Assert.Equal(EtcdErrors.UserEmpty, Put(new RequestHeader(), "/a/1").Error);
        Assert.True(Put(null, "/a/1").IsOk);
    }

    [Fact]
    public void Every_compare_and_every_op_of_both_branches_of_a_txn_is_checked()
    {
        SetUp();
        var rev = _applier.Auth.Revision;
        var allowed = new RequestOp { RequestPut = new PutRequest { Key = B("/a/1"), Value = B("v") } };
        var txn = new TxnRequest { Success = { allowed } };
        Assert.True(Apply(new InternalRaftRequest { Header = As("alice", rev), Txn = txn }).IsOk);
        // A compare on a key alice may not read.
        var compare = txn.Clone();
        compare.Compare.Add(new Compare { Key = B("x"), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal });
        Assert.Equal(EtcdErrors.PermissionDenied, Apply(new InternalRaftRequest { Header = As("alice", rev), Txn = compare }).Error);
        // A delete in the branch that will not run.
        var failure = txn.Clone();
        failure.Failure.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("x") } });
        Assert.Equal(EtcdErrors.PermissionDenied, Apply(new InternalRaftRequest { Header = As("alice", rev), Txn = failure }).Error);
    }

    [Fact]
    public void Reads_are_checked_for_a_client_and_not_for_a_members_own_read()
    {
        SetUp();
        Assert.True(Put(null, "x").IsOk);
        var rev = _applier.Auth.Revision;
        var range = new RangeRequest { Key = B("x") };
        Assert.Equal(EtcdErrors.UserEmpty, _applier.Read(range, 2, new RequestHeader()).Error);
        Assert.Equal(EtcdErrors.PermissionDenied, _applier.Read(range, 2, As("alice", rev)).Error);
        Assert.True(_applier.Read(new RangeRequest { Key = B("/a/"), RangeEnd = B("/a0") }, 2, As("alice", rev)).IsOk);
        Assert.True(_applier.Read(range, 2, As("root", rev)).IsOk);
        Assert.True(_applier.Read(range, 2).IsOk);
        // A Range the store reads in steps (MvccStoreActor.RangeSteps.cs) is checked the same way when it begins.
        Assert.Equal(EtcdErrors.UserEmpty, _applier.BeginRange(range, 1, new RequestHeader()).Error);
        Assert.Equal(EtcdErrors.PermissionDenied, _applier.BeginRange(range, 1, As("alice", rev)).Error);
        Assert.True(_applier.BeginRange(range, 1, As("root", rev)).IsOk);
        Assert.True(_applier.BeginRange(range, 1).IsOk);
    }

    [Fact]
    public void A_read_whose_token_was_resolved_before_an_auth_change_is_refused_as_old_revision()
    {
        SetUp();
        Assert.True(Put(As("alice", _applier.Auth.Revision), "/a/1").IsOk);
        var alice = As("alice", _applier.Auth.Revision);
        var range = new RangeRequest { Key = B("/a/"), RangeEnd = B("/a0") };
        var txn = new TxnRequest { Success = { new RequestOp { RequestRange = range } } };
        Assert.True(_applier.Read(range, 2, alice).IsOk);
        // Between the token's resolve (alice's header) and the serve, root revokes alice's permission: etcd answers
        // "revision of auth store is old" (isOpPermitted with the token's revision), not an answer and not "denied".
        Assert.True(Admin(new() { AuthRoleRevokePermission = new() { Role = "r1", Key = B("/a/"), RangeEnd = B("/a0") } }).IsOk);
        Assert.Equal(EtcdErrors.AuthOldRevision, _applier.Read(range, 2, alice).Error);
        Assert.Equal(EtcdErrors.AuthOldRevision, _applier.Read(txn, 2, alice).Error);
        Assert.Equal(EtcdErrors.AuthOldRevision, _applier.BeginRange(range, 1, alice).Error);
        // A token resolved now is checked against the permissions as they are.
        Assert.Equal(EtcdErrors.PermissionDenied, _applier.Read(range, 2, As("alice", _applier.Auth.Revision)).Error);
        // Root too: any auth change makes an older resolve stale (etcd compares revisions before roles).
        Assert.Equal(EtcdErrors.AuthOldRevision, _applier.Read(range, 2, As("root", alice.AuthRevision)).Error);
    }

    [Fact]
    public void A_range_read_in_steps_fails_when_auth_changed_before_it_finished()
    {
        SetUp();
        for (var i = 0; i < 3; i++) Assert.True(Put(As("alice", _applier.Auth.Revision), $"/a/{i}").IsOk);
        var alice = As("alice", _applier.Auth.Revision);
        var range = new RangeRequest { Key = B("/a/"), RangeEnd = B("/a0") };
        var whole = _applier.BeginRange(range, 1, alice).Value!;
        while (!whole.Done) whole.Step(1);
        Assert.True(_applier.FinishRange(whole, 2, alice).IsOk);
        var cursor = _applier.BeginRange(range, 1, alice).Value!;
        // Between two steps (other turns of the store actor), an unrelated auth change: etcd's doSerialize checks the
        // revision again after its read, so the answer read under the old revision is not given.
        Assert.True(Admin(new() { AuthRoleAdd = new() { Name = "r2" } }).IsOk);
        while (!cursor.Done) cursor.Step(1);
        Assert.Equal(EtcdErrors.AuthOldRevision, _applier.FinishRange(cursor, 2, alice).Error);
    }

    [Fact]
    public void A_lease_with_a_key_the_user_may_not_write_can_be_neither_revoked_nor_attached_by_that_user()
    {
        SetUp();
        Assert.True(Apply(new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = 7, TTL = 60 } }).IsOk);
        Assert.True(Put(As("root", _applier.Auth.Revision), "x", lease: 7).IsOk);
        var rev = _applier.Auth.Revision;
        Assert.Equal(EtcdErrors.PermissionDenied, Put(As("alice", rev), "/a/1", lease: 7).Error);
        Assert.Equal(EtcdErrors.PermissionDenied,
            Apply(new InternalRaftRequest { Header = As("alice", rev), LeaseRevoke = new LeaseRevokeRequest { ID = 7 } }).Error);
        Assert.True(Apply(new InternalRaftRequest { Header = As("root", rev), LeaseRevoke = new LeaseRevokeRequest { ID = 7 } }).IsOk);
    }

    [Fact]
    public void Management_is_roots_but_a_user_may_read_itself_and_its_roles()
    {
        SetUp();
        var alice = As("alice", _applier.Auth.Revision);
        Assert.Equal(EtcdErrors.PermissionDenied, Apply(new InternalRaftRequest { Header = alice, AuthRoleAdd = new() { Name = "r2" } }).Error);
        Assert.Equal(EtcdErrors.PermissionDenied, Apply(new InternalRaftRequest { Header = alice, AuthUserList = new() }).Error);
        Assert.Equal(EtcdErrors.UserEmpty, Apply(new InternalRaftRequest { Header = new RequestHeader(), AuthUserList = new() }).Error);
        Assert.Equal(["r1"], ((AuthUserGetResponse)Apply(new InternalRaftRequest { Header = alice, AuthUserGet = new() { Name = "alice" } }).Response!).Roles);
        Assert.Equal(EtcdErrors.PermissionDenied, Apply(new InternalRaftRequest { Header = alice, AuthUserGet = new() { Name = "root" } }).Error);
        Assert.Single(((AuthRoleGetResponse)Apply(new InternalRaftRequest { Header = alice, AuthRoleGet = new() { Role = "r1" } }).Response!).Perm);
        Assert.Equal(EtcdErrors.PermissionDenied, Apply(new InternalRaftRequest { Header = alice, AuthRoleGet = new() { Role = "root" } }).Error);
    }

    [Fact]
    public void Authenticate_assigns_prefix_dot_index_on_every_member_once_and_refuses_a_stale_check()
    {
        SetUp();
        var prefix = new string('a', 16);
        var entry = new InternalRaftRequest
        {
            Header = new RequestHeader { AuthRevision = _applier.Auth.Revision },
            Authenticate = new InternalAuthenticateRequest { Name = "alice", SimpleToken = prefix },
        };
        var index = _index + 1;
        var token = ((AuthenticateResponse)Apply(entry).Response!).Token;
        Assert.Equal($"{prefix}.{index}", token);
        Assert.Null(_gate.Resolve(token, out var user));
        Assert.Equal("alice", user);
        // The same entry applied again (a store restarted in place): the same token, no failure.
        Assert.Equal(token, ((AuthenticateResponse)_applier.Apply(entry, 2, index).Response!).Token);
        // The password was checked at an auth revision that is gone (alice's password changed meanwhile).
        Assert.True(Admin(new() { AuthUserChangePassword = new() { Name = "alice", HashedPassword = "h:new" } }).IsOk);
        Assert.Equal(EtcdErrors.InvalidAuthToken, _gate.Resolve(token, out _));
        Assert.Equal(EtcdErrors.AuthOldRevision, Apply(entry).Error);
        // A no-password user cannot authenticate with a password.
        Assert.True(Admin(new() { AuthUserAdd = new() { Name = "nop", Options = new UserAddOptions { NoPassword = true } } }).IsOk);
        var nop = new InternalRaftRequest
        {
            Header = new RequestHeader { AuthRevision = _applier.Auth.Revision },
            Authenticate = new InternalAuthenticateRequest { Name = "nop", SimpleToken = prefix },
        };
        Assert.Equal(EtcdErrors.AuthFailed, Apply(nop).Error);
    }

    [Fact]
    public void Disabling_auth_ends_every_session_and_lets_everyone_write()
    {
        SetUp();
        var token = ((AuthenticateResponse)Apply(new InternalRaftRequest
        {
            Header = new RequestHeader { AuthRevision = _applier.Auth.Revision },
            Authenticate = new InternalAuthenticateRequest { Name = "alice", SimpleToken = new string('b', 16) },
        }).Response!).Token;
        Assert.True(Admin(new() { AuthDisable = new() }).IsOk);
        Assert.Equal(EtcdErrors.InvalidAuthToken, _gate.Resolve(token, out _));
        Assert.True(Put(new RequestHeader(), "x").IsOk);
        Reopen();
        Assert.False(_applier.Auth.Enabled);
    }
}
