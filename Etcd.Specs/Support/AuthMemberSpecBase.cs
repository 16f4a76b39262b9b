using Etcd.Actors.Server;
using Etcd.Api.Etcdserverpb;
using Google.Protobuf;
using Xunit;

namespace Etcd.Specs.Support;

/// <summary>
/// A spec class that runs against one <see cref="AuthMember"/> per test (xunit builds the class per test): the member
/// is started with root and alice before the test and stopped, its data directory removed, after it.
/// </summary>
public abstract class AuthMemberSpecBase(string dirPrefix) : IAsyncLifetime
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDir _dir = new(dirPrefix);

    protected EtcdNode Node { get; private set; } = null!;

    protected static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public async Task InitializeAsync() => Node = await AuthMember.StartWithAliceAsync(_dir);

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A simple token for <paramref name="name"/>, e.g. root with <see cref="AuthMember.RootPassword"/>.</summary>
    protected async Task<string> LoginAsync(string name, string password) =>
        (await Node.Server.AuthenticateAsync(new AuthenticateRequest { Name = name, Password = password }).WaitAsync(Wait)).Token;
}
