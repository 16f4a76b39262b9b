using Etcd.Actors.Server;

namespace Etcd.Specs.Support;

/// <summary>
/// The settings of a whole in-process one-member cluster ("default" on a free loopback peer port, warn logs, data
/// under <c>dir/data</c>) that the member-level specs start from and lay their own settings over with <c>with</c>.
/// </summary>
public static class SingleMember
{
    public static EtcdServerSettings Settings(TempDir dir)
    {
        var peer = $"http://127.0.0.1:{FreePort.Next()}";
        return EtcdServerSettings.Default with
        {
            DataDir = dir.Sub("data"), LogLevel = "warn",
            ListenPeerUrls = [peer], AdvertisePeerUrls = [peer], InitialCluster = [new("default", [peer])],
        };
    }

    /// <summary>Starts the member of <paramref name="settings"/>; a start past a minute fails the spec.</summary>
    public static Task<EtcdNode> StartAsync(EtcdServerSettings settings) => EtcdNode.StartAsync(settings).WaitAsync(TimeSpan.FromSeconds(60));
}
