using Xunit;

namespace Etcd.Specs.Support;

/// <summary>One <see cref="SideBySide"/> pair (Etcd.Node and etcd 3.4, one member each) shared by a spec class.</summary>
public sealed class SideBySideFixture : IAsyncLifetime
{
    public SideBySide Nodes { get; private set; } = null!;

    public async Task InitializeAsync() => Nodes = await SideBySide.StartAsync("side-by-side");

    public async Task DisposeAsync()
    {
        if (Nodes is not null) await Nodes.DisposeAsync();
    }
}
