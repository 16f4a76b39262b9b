using Etcd.Node.Configuration;
using Xunit;

namespace Etcd.Specs.Deployment.Support;

/// <summary>Runs Etcd.Node's own configuration code on a deployment file's arguments, reading files as the node would.</summary>
public static class DeploymentConfig
{
    /// <summary>
    /// <paramref name="args"/> as the node gets them, with relative --config-file paths resolved against
    /// <paramref name="workingDirectory"/> (the directory the process would run in).
    /// </summary>
    public static RunNode Run(string workingDirectory, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var command = NodeConfiguration.Load(args, environment ?? new Dictionary<string, string>(),
            path => File.ReadAllText(Path.Combine(workingDirectory, path)));
        return Assert.IsType<RunNode>(command);
    }
}
