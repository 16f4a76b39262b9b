using Etcd.Node.Configuration;

namespace Etcd.Specs.Deployment.Support;

/// <summary>
/// One Procfile member after <see cref="RelocatedLocalCluster"/> moved it: the arguments after the dll, exactly as
/// the Procfile gives them, and the configuration they load to from the relocated files.
/// </summary>
public sealed record RelocatedMember(ProcfileEntry Entry, IReadOnlyList<string> Arguments, RunNode Run, string DataDir)
{
    public string Name => Run.Settings.Name;

    public Uri ClientUrl => new(Run.Settings.AdvertiseClientUrls.Single());

    public Uri PeerUrl => new(Run.Settings.AdvertisePeerUrls.Single());

    public string Endpoint => $"{ClientUrl.Host}:{ClientUrl.Port}";
}
