using Etcd.Api.Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Etcd.Specs.Support;

/// <summary>
/// The auth set-up process specs share, through the real etcdctl so that etcd 3.4 and Etcd.Node get the same: users
/// root (<see cref="RootPassword"/>) and alice (<see cref="AlicePassword"/>), alice holding role r1 with the given
/// permissions, then auth enabled; and logging in over gRPC.
/// </summary>
public static class AuthSetup
{
    public const string RootPassword = "rootpw";
    public const string AlicePassword = "apw";

    /// <summary>Each grant is what follows <c>etcdctl role grant-permission r1</c>, e.g. <c>["readwrite", "/a/", "--prefix"]</c>.</summary>
    public static async Task EnableWithAliceAsync(string endpoint, params string[][] grants)
    {
        async Task Ctl(params string[] args) => (await Etcdctl.RunAsync(endpoint, args)).EnsureSuccess();
        await Ctl("user", "add", "root", $"--new-user-password={RootPassword}", "--interactive=false");
        await Ctl("user", "add", "alice", $"--new-user-password={AlicePassword}", "--interactive=false");
        await Ctl("role", "add", "r1");
        foreach (var grant in grants) await Ctl(["role", "grant-permission", "r1", .. grant]);
        await Ctl("user", "grant-role", "alice", "r1");
        await Ctl("auth", "enable");
    }

    /// <summary>A token for <paramref name="name"/> (Authenticate).</summary>
    public static async Task<string> LoginAsync(GrpcChannel channel, string name, string password) =>
        (await new Etcd.Api.Etcdserverpb.Auth.AuthClient(channel).AuthenticateAsync(new AuthenticateRequest { Name = name, Password = password })).Token;

    /// <summary>gRPC metadata carrying <paramref name="token"/> as etcd clients send it.</summary>
    public static Metadata Token(string token) => new() { { "token", token } };
}
