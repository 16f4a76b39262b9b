using Akka.Configuration;
using Etcd.Actors.Server;

namespace Etcd.Node.Configuration;

/// <summary>What the command line asks for.</summary>
public abstract record StartupCommand;

/// <summary>-h / --help: print the flag list and exit 0.</summary>
public sealed record ShowHelp : StartupCommand;

/// <summary>--version: print the version and exit 0.</summary>
public sealed record ShowVersion : StartupCommand;

/// <summary>
/// Start a member. <paramref name="Config"/> is the merged HOCON (flags ⊕ env ⊕ file ⊕ reference) the
/// settings were read from; <paramref name="Warnings"/> are logged at start-up, as etcd logs them.
/// </summary>
public sealed record RunNode(EtcdServerSettings Settings, NodeOptions Options, Config Config, IReadOnlyList<string> Warnings)
    : StartupCommand;
