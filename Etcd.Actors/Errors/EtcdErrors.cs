namespace Etcd.Actors.Errors;

/// <summary>
/// etcd 3.4's error strings (etcdserver/api/v3rpc/rpctypes/error.go), each with its kind. The kinds are chosen so
/// that the edge's one mapping (Etcd.Node/Services/GrpcErrors.cs) gives every error etcd's own gRPC status code.
/// </summary>
public static class EtcdErrors
{
    public static readonly EtcdError EmptyKey = new(EtcdErrorCode.InvalidRequest, "etcdserver: key is not provided");
    public static readonly EtcdError KeyNotFound = new(EtcdErrorCode.InvalidRequest, "etcdserver: key not found");
    public static readonly EtcdError ValueProvided = new(EtcdErrorCode.InvalidRequest, "etcdserver: value is provided");
    public static readonly EtcdError LeaseProvided = new(EtcdErrorCode.InvalidRequest, "etcdserver: lease is provided");
    public static readonly EtcdError TooManyOps = new(EtcdErrorCode.InvalidRequest, "etcdserver: too many operations in txn request");
    public static readonly EtcdError DuplicateKey = new(EtcdErrorCode.InvalidRequest, "etcdserver: duplicate key given in txn request");
    public static readonly EtcdError Compacted = new(EtcdErrorCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted");
    public static readonly EtcdError FutureRev = new(EtcdErrorCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision");
    public static readonly EtcdError NoSpace = new(EtcdErrorCode.Exhausted, "etcdserver: mvcc: database space exceeded");
    public static readonly EtcdError LeaseNotFound = new(EtcdErrorCode.NotFound, "etcdserver: requested lease not found");
    public static readonly EtcdError LeaseExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: lease already exists");
    public static readonly EtcdError LeaseTtlTooLarge = new(EtcdErrorCode.OutOfRange, "etcdserver: too large lease TTL");
    public static readonly EtcdError RequestTooLarge = new(EtcdErrorCode.InvalidRequest, "etcdserver: request is too large");
    public static readonly EtcdError TooManyRequests = new(EtcdErrorCode.Exhausted, "etcdserver: too many requests");
    public static readonly EtcdError NoLeader = new(EtcdErrorCode.Unavailable, "etcdserver: no leader");
    public static readonly EtcdError NotLeader = new(EtcdErrorCode.PreconditionFailed, "etcdserver: not leader");
    public static readonly EtcdError LeaderChanged = new(EtcdErrorCode.Unavailable, "etcdserver: leader changed");
    public static readonly EtcdError Stopped = new(EtcdErrorCode.Unavailable, "etcdserver: server stopped");
    public static readonly EtcdError Timeout = new(EtcdErrorCode.Unavailable, "etcdserver: request timed out");
    public static readonly EtcdError TimeoutWaitAppliedIndex = new(EtcdErrorCode.Unavailable, "etcdserver: request timed out, waiting for the applied index took too long");
    public static readonly EtcdError NotCapable = new(EtcdErrorCode.Unavailable, "etcdserver: not capable");
    public static readonly EtcdError LearnerNotSupported = new(EtcdErrorCode.Unavailable, "etcdserver: rpc not supported for learner");
    public static readonly EtcdError Corrupt = new(EtcdErrorCode.Corrupt, "etcdserver: corrupt cluster");
    public static readonly EtcdError TimeoutDueToLeaderFail = new(EtcdErrorCode.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure");
    public static readonly EtcdError TimeoutDueToConnectionLost = new(EtcdErrorCode.Unavailable, "etcdserver: request timed out, possibly due to connection lost");
    // etcd 3.4 has no gRPC mapping for this one, so clients see it with code Unknown.
    public static readonly EtcdError TimeoutLeaderTransfer = new(EtcdErrorCode.Unclassified, "etcdserver: request timed out, leader transfer took too long");
    public static readonly EtcdError Unhealthy = new(EtcdErrorCode.Unavailable, "etcdserver: unhealthy cluster");
    public static readonly EtcdError BadLeaderTransferee = new(EtcdErrorCode.PreconditionFailed, "etcdserver: bad leader transferee");

    // Membership (rpctypes/error.go)
    public static readonly EtcdError MemberExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: member ID already exist");
    public static readonly EtcdError PeerUrlExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: Peer URLs already exists");
    public static readonly EtcdError MemberNotEnoughStarted = new(EtcdErrorCode.PreconditionFailed, "etcdserver: re-configuration failed due to not enough started members");
    public static readonly EtcdError MemberBadUrls = new(EtcdErrorCode.InvalidRequest, "etcdserver: given member URLs are invalid");
    public static readonly EtcdError MemberNotFound = new(EtcdErrorCode.NotFound, "etcdserver: member not found");
    public static readonly EtcdError MemberNotLearner = new(EtcdErrorCode.PreconditionFailed, "etcdserver: can only promote a learner member");
    public static readonly EtcdError LearnerNotReady = new(EtcdErrorCode.PreconditionFailed, "etcdserver: can only promote a learner member which is in sync with leader");
    public static readonly EtcdError TooManyLearners = new(EtcdErrorCode.PreconditionFailed, "etcdserver: too many learner members in cluster");

    // Auth (rpctypes/error.go; auth/store.go's errors mapped by v3rpc/util.go's toGRPCErrorMap)
    public static readonly EtcdError RootUserNotExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: root user does not exist");
    public static readonly EtcdError RootRoleNotExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: root user does not have root role");
    public static readonly EtcdError UserAlreadyExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: user name already exists");
    public static readonly EtcdError UserEmpty = new(EtcdErrorCode.InvalidRequest, "etcdserver: user name is empty");
    public static readonly EtcdError UserNotFound = new(EtcdErrorCode.PreconditionFailed, "etcdserver: user name not found");
    public static readonly EtcdError RoleAlreadyExist = new(EtcdErrorCode.PreconditionFailed, "etcdserver: role name already exists");
    public static readonly EtcdError RoleNotFound = new(EtcdErrorCode.PreconditionFailed, "etcdserver: role name not found");
    public static readonly EtcdError RoleEmpty = new(EtcdErrorCode.InvalidRequest, "etcdserver: role name is empty");
    public static readonly EtcdError AuthFailed = new(EtcdErrorCode.InvalidRequest, "etcdserver: authentication failed, invalid user ID or password");
    public static readonly EtcdError PermissionNotGiven = new(EtcdErrorCode.InvalidRequest, "etcdserver: permission not given");
    public static readonly EtcdError PermissionDenied = new(EtcdErrorCode.Forbidden, "etcdserver: permission denied");
    public static readonly EtcdError RoleNotGranted = new(EtcdErrorCode.PreconditionFailed, "etcdserver: role is not granted to the user");
    public static readonly EtcdError PermissionNotGranted = new(EtcdErrorCode.PreconditionFailed, "etcdserver: permission is not granted to the role");
    public static readonly EtcdError AuthNotEnabled = new(EtcdErrorCode.PreconditionFailed, "etcdserver: authentication is not enabled");
    public static readonly EtcdError InvalidAuthToken = new(EtcdErrorCode.Unauthenticated, "etcdserver: invalid auth token");
    public static readonly EtcdError InvalidAuthMgmt = new(EtcdErrorCode.InvalidRequest, "etcdserver: invalid auth management");
    public static readonly EtcdError AuthOldRevision = new(EtcdErrorCode.InvalidRequest, "etcdserver: revision of auth store is old");

    /// <summary>
    /// Authenticate on a member given only a JWT public key (auth/store.go's ErrVerifyOnly): v3rpc has no translation for
    /// it, so etcd 3.4 answers it with code Unknown and auth's own wording.
    /// </summary>
    public static readonly EtcdError AuthVerifyOnly = new(EtcdErrorCode.Unclassified, "auth: token signing attempted with verify-only key");

    private static readonly Dictionary<string, EtcdError> ByMessage = typeof(EtcdErrors)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.FieldType == typeof(EtcdError))
        .Select(f => (EtcdError)f.GetValue(null)!)
        .GroupBy(e => e.Message)
        .ToDictionary(g => g.Key, g => g.First());

    /// <summary>
    /// The error with etcd's message <paramref name="message"/> (how a refusal that crossed the wire between
    /// members is turned back into the same error, hence the same gRPC status); unknown messages keep their text as
    /// Unavailable.
    /// </summary>
    /// <summary>
    /// An auth error as auth/store.go words it, before v3rpc translates it: etcd 3.4's maintenance server (Hash, HashKV,
    /// Defragment, Snapshot) returns its auth check's error untranslated, so clients see these strings with code Unknown.
    /// </summary>
    public static EtcdError AuthPackage(EtcdError error) => new(EtcdErrorCode.Unclassified, error == UserEmpty ? "auth: user name is empty"
        : error == UserNotFound ? "auth: user not found"
        : error == PermissionDenied ? "auth: permission denied"
        : error == InvalidAuthToken ? "auth: invalid auth token"
        : error.Message);

    public static EtcdError FromMessage(string message) =>
        ByMessage.TryGetValue(message, out var e) ? e : new EtcdError(EtcdErrorCode.Unavailable, message);
}
