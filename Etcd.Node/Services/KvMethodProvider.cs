using Etcd.Api.Etcdserverpb;
using Grpc.AspNetCore.Server.Model;

namespace Etcd.Node.Services;

/// <summary>
/// Discovers <see cref="KvService"/>'s gRPC methods through <see cref="KvMethodBinder"/>. KvService does not derive
/// from the generated KV.KVBase, so Grpc.AspNetCore's own provider (which binds a service through its base's
/// BindService) finds nothing to add and this is the only binding: one route per method.
/// </summary>
internal sealed class KvMethodProvider : IServiceMethodProvider<KvService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<KvService> context) => KV.BindService(new KvMethodBinder(context), null);
}
