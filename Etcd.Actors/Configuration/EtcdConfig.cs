using Akka.Configuration;

namespace Etcd.Actors.Configuration;

/// <summary>
/// The HOCON shipped inside the library: reference.conf (every etcd.* key with its default and a comment)
/// and the Akka configuration a member runs with (member.conf, serialization.conf, journal.conf). Code
/// adds on top only what flags decide: host and port, frame size, log level and file paths.
/// </summary>
public static class EtcdConfig
{
    /// <summary>The library's defaults: the embedded reference.conf, the one home of every knob.</summary>
    public static Config Reference { get; } = Load("reference.conf");

    /// <summary>The text of the embedded resource <paramref name="name"/> (its LogicalName is Etcd.Actors.&lt;name&gt;).</summary>
    public static string Text(string name)
    {
        using var stream = typeof(EtcdConfig).Assembly.GetManifestResourceStream("Etcd.Actors." + name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from Etcd.Actors");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded HOCON resource <paramref name="name"/>, parsed.</summary>
    public static Config Load(string name) => ConfigurationFactory.ParseString(Text(name));
}
