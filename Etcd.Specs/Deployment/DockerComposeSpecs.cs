using Etcd.Actors.Cluster;
using Etcd.Actors.Server;
using Etcd.Specs.Deployment.Support;
using Etcd.Specs.Support;
using Xunit;

namespace Etcd.Specs.Deployment;

/// <summary>
/// docker-compose.yml, which cannot run here (no Docker engine): parsed, checked for consistency, and each
/// service's arguments run through Etcd.Node's own configuration code with the image's environment, so the
/// containers would get exactly the settings checked here.
/// </summary>
public sealed class DockerComposeSpecs
{
    private static readonly string[] Services = ["etcd1", "etcd2", "etcd3"];

    private readonly ComposeFile _compose = ComposeFile.Load();

    [Fact]
    public void Three_services_of_one_image_built_from_the_dockerfile_on_one_network_each_with_its_own_volume()
    {
        Assert.Equal(Services, _compose.Services.Select(s => s.Name));
        Assert.All(_compose.Services, s => Assert.Equal(".", s.Build));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "Dockerfile")));
        Assert.Single(_compose.Services.Select(s => s.Image).Distinct());
        var network = Assert.Single(_compose.Networks);
        Assert.All(_compose.Services, s => Assert.Equal([network], s.Networks));

        var volumes = _compose.Services.Select(s => Assert.Single(s.Volumes).Split(':')).ToArray();
        Assert.Equal(_compose.Services.Count, volumes.Select(v => v[0]).Distinct().Count());
        // Named volumes (declared at the top level), not bind mounts of some host path.
        Assert.Equal(volumes.Select(v => v[0]).Order(), _compose.Volumes.Order());
        Assert.All(volumes, v => Assert.Equal("/var/lib/etcd", v[1]));
    }

    [Fact]
    public void Distinct_host_ports_on_loopback_map_to_each_containers_client_port()
    {
        var ports = _compose.Services.Select(s => Assert.Single(s.Ports).Split(':')).ToArray();
        Assert.All(ports, p => Assert.Equal(3, p.Length));
        Assert.All(ports, p => Assert.Equal("127.0.0.1", p[0]));
        Assert.Equal(["2379", "22379", "32379"], ports.Select(p => p[1]));
        Assert.All(ports, p => Assert.Equal("2379", p[2]));
    }

    [Theory]
    [InlineData("etcd1")]
    [InlineData("etcd2")]
    [InlineData("etcd3")]
    public void Each_service_is_accepted_by_the_nodes_parser_listens_on_every_address_and_advertises_its_service_name(string service)
    {
        var s = _compose.Services.Single(x => x.Name == service);
        Assert.Equal(service, s.Hostname);
        var run = Run(s);
        var settings = run.Settings;
        Assert.Equal(service, settings.Name);
        Assert.Equal(["http://0.0.0.0:2379"], run.Options.ListenClientUrls);
        Assert.Equal(["http://0.0.0.0:2380"], settings.ListenPeerUrls);
        Assert.Equal([$"http://{service}:2379"], settings.AdvertiseClientUrls);
        Assert.Equal([$"http://{service}:2380"], settings.AdvertisePeerUrls);
        Assert.Equal(Services, settings.InitialCluster.Select(m => m.Key));
        Assert.Equal(Services.Select(n => $"http://{n}:2380"), settings.InitialCluster.Select(m => m.Value.Single()));
        Assert.Equal("etcd-cluster-1", settings.InitialClusterToken);
        Assert.Equal("new", settings.InitialClusterState);
        // The data dir is the volume's mount point, or the data would die with the container.
        Assert.Equal(Assert.Single(s.Volumes).Split(':')[1], settings.DataDir);
        Assert.Empty(run.Warnings);

        // Akka.Remote, the peer transport, binds every address and names itself by the service name,
        // which is how the other members address it on the compose network.
        var remote = EtcdNode.BuildConfig(settings).GetConfig("akka.remote.etcd-peer");
        Assert.Equal("0.0.0.0", remote.GetString("hostname"));
        Assert.Equal(service, remote.GetString("public-hostname"));
        Assert.Equal(2380, remote.GetInt("public-port"));
    }

    [Fact]
    public void The_three_services_derive_three_distinct_member_ids_in_one_cluster()
    {
        // Every service computes the same cluster from its own flags, and finds itself in it.
        var clusters = _compose.Services
            .Select(s => (Service: s.Name, Settings: Run(s).Settings))
            .Select(s => (s.Service, Cluster: InitialCluster.From(s.Settings.InitialCluster, s.Settings.InitialClusterToken)))
            .ToArray();
        Assert.Single(clusters.Select(c => c.Cluster.ClusterId).Distinct());
        Assert.Equal(3, clusters.Select(c => c.Cluster.Self(c.Service).ID).Distinct().Count());
    }

    /// <summary>The service's command replaces the image's CMD and follows its ENTRYPOINT, under the image's ENV.</summary>
    private static Etcd.Node.Configuration.RunNode Run(ComposeService s)
    {
        var image = Dockerfile.Load()[^1].Environment().ToDictionary();
        foreach (var (k, v) in s.Environment) image[k] = v;
        return DeploymentConfig.Run(RepoPaths.Root, s.Command, image);
    }
}
