using System.Reflection;
using Etcd.Actors.Errors;
using Etcd.Node.Services;
using Grpc.Core;
using Xunit;

namespace Etcd.Specs.Node;

/// <summary>
/// The gRPC edge's one mapping from etcd's errors to status (<see cref="GrpcErrors"/>): every error of the catalogue
/// reaches clients with etcd 3.4's status code (etcdserver/api/v3rpc/rpctypes/error.go) and its exact message. The
/// table is what clients saw when the errors were RpcExceptions themselves; it must not change.
/// </summary>
public sealed class GrpcErrorsSpecs
{
    public static TheoryData<string, StatusCode> Catalogue => new()
    {
        { "etcdserver: key is not provided", StatusCode.InvalidArgument },
        { "etcdserver: key not found", StatusCode.InvalidArgument },
        { "etcdserver: value is provided", StatusCode.InvalidArgument },
        { "etcdserver: lease is provided", StatusCode.InvalidArgument },
        { "etcdserver: too many operations in txn request", StatusCode.InvalidArgument },
        { "etcdserver: duplicate key given in txn request", StatusCode.InvalidArgument },
        { "etcdserver: mvcc: required revision has been compacted", StatusCode.OutOfRange },
        { "etcdserver: mvcc: required revision is a future revision", StatusCode.OutOfRange },
        { "etcdserver: mvcc: database space exceeded", StatusCode.ResourceExhausted },
        { "etcdserver: requested lease not found", StatusCode.NotFound },
        { "etcdserver: lease already exists", StatusCode.FailedPrecondition },
        { "etcdserver: too large lease TTL", StatusCode.OutOfRange },
        { "etcdserver: request is too large", StatusCode.InvalidArgument },
        { "etcdserver: too many requests", StatusCode.ResourceExhausted },
        { "etcdserver: no leader", StatusCode.Unavailable },
        { "etcdserver: not leader", StatusCode.FailedPrecondition },
        { "etcdserver: leader changed", StatusCode.Unavailable },
        { "etcdserver: server stopped", StatusCode.Unavailable },
        { "etcdserver: request timed out", StatusCode.Unavailable },
        { "etcdserver: request timed out, waiting for the applied index took too long", StatusCode.Unavailable },
        { "etcdserver: not capable", StatusCode.Unavailable },
        { "etcdserver: rpc not supported for learner", StatusCode.Unavailable },
        { "etcdserver: corrupt cluster", StatusCode.DataLoss },
        { "etcdserver: request timed out, possibly due to previous leader failure", StatusCode.Unavailable },
        { "etcdserver: request timed out, possibly due to connection lost", StatusCode.Unavailable },
        { "etcdserver: request timed out, leader transfer took too long", StatusCode.Unknown },
        { "etcdserver: unhealthy cluster", StatusCode.Unavailable },
        { "etcdserver: bad leader transferee", StatusCode.FailedPrecondition },
        { "etcdserver: member ID already exist", StatusCode.FailedPrecondition },
        { "etcdserver: Peer URLs already exists", StatusCode.FailedPrecondition },
        { "etcdserver: re-configuration failed due to not enough started members", StatusCode.FailedPrecondition },
        { "etcdserver: given member URLs are invalid", StatusCode.InvalidArgument },
        { "etcdserver: member not found", StatusCode.NotFound },
        { "etcdserver: can only promote a learner member", StatusCode.FailedPrecondition },
        { "etcdserver: can only promote a learner member which is in sync with leader", StatusCode.FailedPrecondition },
        { "etcdserver: too many learner members in cluster", StatusCode.FailedPrecondition },
        { "etcdserver: root user does not exist", StatusCode.FailedPrecondition },
        { "etcdserver: root user does not have root role", StatusCode.FailedPrecondition },
        { "etcdserver: user name already exists", StatusCode.FailedPrecondition },
        { "etcdserver: user name is empty", StatusCode.InvalidArgument },
        { "etcdserver: user name not found", StatusCode.FailedPrecondition },
        { "etcdserver: role name already exists", StatusCode.FailedPrecondition },
        { "etcdserver: role name not found", StatusCode.FailedPrecondition },
        { "etcdserver: role name is empty", StatusCode.InvalidArgument },
        { "etcdserver: authentication failed, invalid user ID or password", StatusCode.InvalidArgument },
        { "etcdserver: permission not given", StatusCode.InvalidArgument },
        { "etcdserver: permission denied", StatusCode.PermissionDenied },
        { "etcdserver: role is not granted to the user", StatusCode.FailedPrecondition },
        { "etcdserver: permission is not granted to the role", StatusCode.FailedPrecondition },
        { "etcdserver: authentication is not enabled", StatusCode.FailedPrecondition },
        { "etcdserver: invalid auth token", StatusCode.Unauthenticated },
        { "etcdserver: invalid auth management", StatusCode.InvalidArgument },
        { "etcdserver: revision of auth store is old", StatusCode.InvalidArgument },
        // etcd 3.4's JWT provider on a member with only the public key: returned untranslated, so code Unknown.
        { "auth: token signing attempted with verify-only key", StatusCode.Unknown },
    };

    [Theory]
    [MemberData(nameof(Catalogue))]
    public void Each_error_reaches_clients_with_etcds_status_and_message(string message, StatusCode code)
    {
        var error = EtcdErrors.FromMessage(message);
        Assert.Contains(error, AllErrors());
        var rpc = GrpcErrors.ToRpcException(error);
        Assert.Equal(code, rpc.StatusCode);
        Assert.Equal(message, rpc.Status.Detail);
    }

    [Fact]
    public void Every_error_of_the_catalogue_has_its_status_here()
    {
        // A new error needs etcd's status chosen deliberately: add it to the table above.
        var listed = Catalogue.Select(row => (string)row[0]).ToHashSet();
        Assert.All(AllErrors(), e => Assert.Contains(e.Message, listed));
    }

    [Fact]
    public void Every_kind_maps_to_a_status()
    {
        foreach (var code in Enum.GetValues<EtcdErrorCode>()) GrpcErrors.StatusCodeOf(code);
    }

    [Fact]
    public void A_message_from_another_member_that_is_not_in_the_catalogue_stays_unavailable()
    {
        var rpc = GrpcErrors.ToRpcException(EtcdErrors.FromMessage("etcdserver: something new"));
        Assert.Equal((StatusCode.Unavailable, "etcdserver: something new"), (rpc.StatusCode, rpc.Status.Detail));
    }

    private static List<EtcdError> AllErrors() => typeof(EtcdErrors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(EtcdError))
        .Select(f => (EtcdError)f.GetValue(null)!)
        .ToList();
}
