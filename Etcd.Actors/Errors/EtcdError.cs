namespace Etcd.Actors.Errors;

/// <summary>
/// One entry of etcd's error catalogue: its kind and the exact message string. Clients (etcdctl, clientv3,
/// dotnet-etcd) match on the message, so it must be byte-for-byte etcd's; the gRPC edge maps the kind to a status.
/// </summary>
public sealed record EtcdError(EtcdErrorCode Code, string Message)
{
    public EtcdException ToException() => new(this);

    public override string ToString() => $"{Code}: {Message}";
}
