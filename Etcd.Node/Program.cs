using System.Collections;
using Etcd.Node.Configuration;
using Etcd.Node.Hosting;

namespace Etcd.Node;

/// <summary>
/// `etcd [flags]`: etcd 3.4's command line, environment and config file (Configuration/), then one
/// member serving the etcd v3 gRPC API on its client URLs (Hosting/, Services/). Bad configuration exits 1
/// with a single line on stderr.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var environment = Environment();
        // First, before the member's threads allocate (NativeMemory says why).
        NativeMemory.LimitMallocArenas(environment);
        StartupCommand command;
        try
        {
            command = NodeConfiguration.Load(args, environment, File.ReadAllText);
        }
        catch (FlagException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }

        switch (command)
        {
            case ShowHelp:
                await Console.Out.WriteAsync(Usage.Help());
                return 0;
            case ShowVersion:
                await Console.Out.WriteAsync(Usage.Version());
                return 0;
            case RunNode run:
                return await NodeRunner.RunAsync(run);
            default:
                throw new InvalidOperationException(command.GetType().Name);
        }
    }

    private static Dictionary<string, string> Environment() =>
        System.Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
}
